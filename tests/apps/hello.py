"""The smallest WSGI app: what every tutorial starts with."""


def application(environ, start_response):
    body = b"Hello World\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
