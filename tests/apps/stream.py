"""A streaming response: chunks produced one by one, no Content-Length, close() recorded."""
import time

CLOSED = []


class Body:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        for i in range(self.n):
            yield b"chunk %d\n" % i
            time.sleep(0.01)

    def close(self):
        CLOSED.append(True)


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Body(5)
