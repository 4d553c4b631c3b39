"""Reports the worker's uid, gid, pid, cwd and Python executable, one per line."""
import os
import sys


def application(environ, start_response):
    body = "uid=%d gid=%d pid=%d ppid=%d exe=%s cwd=%s\n" % (
        os.getuid(), os.getgid(), os.getpid(), os.getppid(), sys.executable, os.getcwd())
    body = body.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
