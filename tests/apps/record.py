"""Answers what it was asked and records every request it sees, one line each, in the file
named by RECORD_LOG: `PATH_INFO X-Pad-header body-length`. A smuggled request shows up there."""
import os


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    path = environ.get("PATH_INFO", "")
    pad = environ.get("HTTP_X_PAD", "-")
    line = "%s pad=%s body=%s\n" % (path, pad, body.decode("latin-1"))
    with open(os.environ["RECORD_LOG"], "a") as log:
        log.write(line)
    out = line.encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
