"""Demo app: says hello and shows which worker answered (stdlib only)."""
import os


def application(environ, start_response):
    body = ("Hello from emperor! worker pid %d, path %s\n" % (os.getpid(), environ["PATH_INFO"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
