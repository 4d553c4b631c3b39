"""Apps that break the rules after the response started, or bend PEP 3333.

/fail-after-head  200 without a length, one chunk, then raises (counted in CALLS_LOG)
/fail-with-length 200 with Content-Length: 100, 9 bytes, then raises
/twice            start_response twice without exc_info
/own-chunks       chunks its own body with Transfer-Encoding: chunked
/pid              the worker's pid
"""
import os


def _count():
    path = os.environ.get("CALLS_LOG")
    if path:
        with open(path, "a") as f:
            f.write("call\n")


def application(environ, start_response):
    path = environ.get("PATH_INFO")
    if path == "/fail-after-head":
        _count()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")])

        def body():
            yield b"the first part of a page\n"
            raise RuntimeError("the database went away mid-page")

        return body()
    if path == "/fail-with-length":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])

        def body():
            yield b"part one\n"
            raise RuntimeError("broke after 9 of 100 bytes")

        return body()
    if path == "/twice":
        start_response("200 OK", [("X-First", "1")])
        start_response("201 Created", [("X-Second", "1")])
        return [b"second status won\n"]
    if path == "/own-chunks":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
        return [b"6\r\nhello \r\n", b"5\r\nworld\r\n0\r\n\r\n"]
    out = ("pid=%d\n" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
