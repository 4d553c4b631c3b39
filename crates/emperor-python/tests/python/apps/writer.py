import sys


def application(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written-")
    return [b"returned"]


def swallowing(environ, start_response):
    """Catches the write error and carries on, as careless apps do."""
    write = start_response("200 OK", [])
    try:
        write(b"lost")
    except OSError:
        pass
    return [b"also lost"]


def late_error(environ, start_response):
    write = start_response("200 OK", [])
    write(b"partial")
    try:
        raise ValueError("late failure")
    except ValueError:
        start_response("500 Oops", [], sys.exc_info())  # re-raises: the headers are gone
    return [b"unreachable"]


def early_error(environ, start_response):
    start_response("200 OK", [("X-First", "1")])
    try:
        raise ValueError("early failure")
    except ValueError:
        start_response("503 Service Unavailable", [("X-Second", "1")], sys.exc_info())
    return [b"replaced"]


def no_start(environ, start_response):
    return [b"forgot start_response"]


def empty(environ, start_response):
    start_response("204 No Content", [])
    return []


def twice(environ, start_response):
    """start_response twice without exc_info: PEP 3333 makes it an error."""
    start_response("200 OK", [("X-First", "1")])
    start_response("201 Created", [("X-Second", "1")])
    return [b"second status"]
