"""Echoes the WSGI environ as JSON, wrapped in wsgiref.validate so PEP 3333 violations fail."""
import json
import sys
from wsgiref.validate import validator


def _app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    data = {
        k: v for k, v in environ.items() if isinstance(v, (str, int, bool, tuple))
    }
    data["body"] = body.decode("latin-1")
    data["sys.version"] = sys.version
    data["sys.executable"] = sys.executable
    out = json.dumps(data, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


application = validator(_app)
