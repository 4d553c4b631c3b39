"""Answers `version=VERSION`, but its import waits as long as the file named by HANG_FILE
exists: new code whose import hangs (a database that does not answer), for reload tests."""
import os
import time

while os.path.exists(os.environ.get("HANG_FILE", "/nonexistent")):
    time.sleep(0.05)


def application(environ, start_response):
    body = ("version=%s master=%d\n" % (os.environ.get("VERSION", "-"), os.getppid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
