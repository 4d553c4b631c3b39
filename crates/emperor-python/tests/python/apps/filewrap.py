import io

OPENED = []


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if environ["QUERY_STRING"] == "bytesio":
        return environ["wsgi.file_wrapper"](io.BytesIO(b"x" * 10000), 4096)
    f = open(environ["FILE_PATH"], "rb")
    f.read(5)  # transmission starts at the file's current position (PEP 3333)
    OPENED.append(f)
    return environ["wsgi.file_wrapper"](f)
