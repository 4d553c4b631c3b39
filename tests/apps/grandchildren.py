"""Leaves processes behind the way careless apps do: at import (in the master, preloaded) a
daemon in its own session, and at every request a double-forked one (`sh -c 'cmd &'`: its
parent exits at once, so it is adopted by the master, a subreaper)."""
import subprocess

subprocess.Popen(["setsid", "sleep", "3600"], start_new_session=True)


def application(environ, start_response):
    subprocess.run(["sh", "-c", "setsid sleep 3601 >/dev/null 2>&1 &"], check=True)
    body = b"daemonized\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
