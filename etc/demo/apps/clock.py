"""Demo app: the time, as JSON (stdlib only)."""
import json
import time


def application(environ, start_response):
    body = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "app": "clock"}).encode() + b"\n"
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
