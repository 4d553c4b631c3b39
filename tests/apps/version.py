"""Answers with the VERSION environment variable (set by the vassal file's `env = VERSION=…`)
and the master's pid, so a test can tell a reload (same master, new value) from a restart."""
import os


def application(environ, start_response):
    body = ("version=%s master=%d\n" % (os.environ.get("VERSION", "-"), os.getppid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
