"""At import, leaves a daemon behind in its own session (`setsid`), the way apps that start
helpers carelessly do; the emperor must still clean it up when the vassal stops."""
import subprocess

subprocess.Popen(["setsid", "sleep", "3600"], start_new_session=True)


def application(environ, start_response):
    body = b"daemonized\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
