import uwsgi
from uwsgidecorators import postfork

CALLS = []


@postfork
def reconnect():
    CALLS.append(("all", uwsgi.worker_id()))


@postfork(2)
def only_in_two():
    CALLS.append(("two", uwsgi.worker_id()))


@postfork(5)
def only_in_five():
    CALLS.append(("five", uwsgi.worker_id()))


@postfork
def broken():
    raise RuntimeError("a failing postfork function is logged, not fatal")


@postfork
def after_broken():
    CALLS.append(("after", uwsgi.worker_id()))


def application(environ, start_response):
    start_response("200 OK", [])
    return [repr(CALLS).encode()]
