"""Sleeps as long as the query string says (for harakiri and worker-kill tests)."""
import os
import time


def application(environ, start_response):
    seconds = float(environ.get("QUERY_STRING") or "0")
    time.sleep(seconds)
    body = ("slept %s in %d\n" % (seconds, os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
