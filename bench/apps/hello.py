# (a) (b) (c) (f) (g): the hello-world app every server runs: 13-byte body,
# Content-Type and Content-Length, a one-element list.
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '13')])
    return [b'Hello, World!']
