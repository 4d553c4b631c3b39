# (m): GET /slow sleeps one second (the GIL released, as a database call would), every other
# path is the hello-world answer. Served with 2 processes x 2 threads by every server.
import time


def application(environ, start_response):
    if environ.get('PATH_INFO') == '/slow':
        time.sleep(1.0)
        body = b'slow\n'
    else:
        body = b'Hello, World!'
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
