NOT_CALLABLE = 3


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello", b" ", b"World"]
