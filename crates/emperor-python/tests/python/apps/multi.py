def _one(environ, start_response):
    start_response("200 OK", [])
    return [b"one"]


def _two(environ, start_response):
    start_response("200 OK", [])
    return [b"two"]


applications = {"/multi-one": _one, "/multi-two": "_two"}
