"""A preloaded app that reconnects after fork, as apps with database pools do."""
import os

import uwsgi
from uwsgidecorators import postfork

STATE = {"loaded_in": os.getpid(), "postfork_in": None}


@postfork
def reconnect():
    STATE["postfork_in"] = os.getpid()


def application(environ, start_response):
    body = ("loaded_in=%d postfork_in=%s worker_pid=%d worker_id=%d numproc=%d\n" % (
        STATE["loaded_in"], STATE["postfork_in"], os.getpid(), uwsgi.worker_id(), uwsgi.numproc)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
