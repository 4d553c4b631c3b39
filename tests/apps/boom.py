"""An app that raises: the server must log the traceback and answer 500."""


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/ok":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"fine\n"]
    raise RuntimeError("boom from the app")
