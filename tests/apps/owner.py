"""Answers with the worker's uid and the OWNER its vassal file set (`env = OWNER=…`): the
tyrant swap-race test checks that the two always belong together."""
import os


def application(environ, start_response):
    body = ("uid=%d owner=%s\n" % (os.getuid(), os.environ.get("OWNER", "-"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
