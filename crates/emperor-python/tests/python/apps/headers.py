CASES = {
    "crlf": ("200 OK", [("X-Evil", "a\r\nSet-Cookie: pwned=1")]),
    "lf": ("200 OK", [("X-Evil", "a\nb")]),
    "cr": ("200 OK", [("X-Evil", "a\rb")]),
    "nul": ("200 OK", [("X-Evil", "a\x00b")]),
    "name-space": ("200 OK", [("X Evil", "a")]),
    "name-colon": ("200 OK", [("X-Evil:", "a")]),
    "name-crlf": ("200 OK", [("X-Evil\r\nSet-Cookie", "a")]),
    "name-empty": ("200 OK", [("", "a")]),
    "non-latin1": ("200 OK", [("X-Evil", "snow \u2603")]),
    "bytes": ("200 OK", [(b"X-Evil", b"a")]),
    "not-a-pair": ("200 OK", [("X-Evil", "a", "b")]),
    "not-a-list": ("200 OK", "X-Evil: a"),
    "status-no-code": ("OK", []),
    "status-crlf": ("200 OK\r\nX-Evil: a", []),
    "status-bytes": (b"200 OK", []),
    "status-letters": ("2x0 OK", []),
}


def application(environ, start_response):
    q = environ["QUERY_STRING"]
    if q == "short-status":
        start_response("404", [("Content-Type", "text/plain")])
        return [b"missing"]
    if q == "latin1":
        start_response("200 OK", [("X-Latin", "caf\u00e9")])
        return [b"ok"]
    if q == "caught":
        try:
            start_response("200 OK", [("X-Evil", "a\r\nb")])
        except ValueError:
            start_response("200 OK", [("X-Caught", "yes")])
        return [b"caught"]
    status, headers = CASES[q]
    start_response(status, headers)
    return [b"should never be sent"]
