CLOSED = []


class Streamed:
    """A response iterable with close(), recording that close() was called."""

    def __init__(self, tag, chunks, fail_at=None):
        self.tag = tag
        self.chunks = chunks
        self.fail_at = fail_at

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise ValueError("the stream broke")
            yield chunk

    def close(self):
        CLOSED.append(self.tag)


def application(environ, start_response):
    tag = environ["QUERY_STRING"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if tag == "str-later":
        return Streamed(tag, [b"ok", "not bytes"])
    if tag == "str-first":
        return Streamed(tag, ["not bytes"])
    if tag == "fail-first":
        return Streamed(tag, [b"a", b"b"], fail_at=0)
    if tag == "fail-later":
        return Streamed(tag, [b"a", b"b"], fail_at=1)
    if tag == "empty":
        return Streamed(tag, [])
    return Streamed(tag, [b"one", b"", b"two", b"three"])
