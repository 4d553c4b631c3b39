"""An environ echo app wrapped in wsgiref's PEP 3333 validator."""
import json
from wsgiref.validate import validator


def _app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.errors"].write("echo app: %d body bytes\n" % len(body))
    environ["wsgi.errors"].writelines(["echo ", "app\n"])
    environ["wsgi.errors"].flush()
    out = json.dumps(
        {
            "environ": {k: v for k, v in environ.items() if isinstance(v, str)},
            "keys": sorted(environ),
            "body": body.decode("latin-1"),
            "version": list(environ["wsgi.version"]),
            "multithread": environ["wsgi.multithread"],
            "multiprocess": environ["wsgi.multiprocess"],
            "run_once": environ["wsgi.run_once"],
            "uwsgi.version": environ["uwsgi.version"].decode(),
            "uwsgi.node": environ["uwsgi.node"].decode(),
        }
    ).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(out)))],
    )
    return [out]


application = validator(_app)
