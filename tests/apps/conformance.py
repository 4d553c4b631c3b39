"""The app behind the conformance suite: one `KEY=VALUE` line per CGI variable it got (not
the client's address and port, nor the server's name and port, which change from run to
run), sorted, then `body=` and the body. Values are written as they are (latin-1)."""

SKIP = {"REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT"}


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    lines = [
        "%s=%s" % (k, v)
        for k, v in sorted(environ.items())
        if isinstance(v, str) and k.isupper() and k not in SKIP
    ]
    lines.append("body=" + body.decode("latin-1"))
    out = "\n".join(lines).encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
