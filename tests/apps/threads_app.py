"""Reports the thread that served the request; sleeps when asked (?sleep=S) so that several
requests overlap in one worker."""
import os
import threading
import time


def application(environ, start_response):
    qs = environ.get("QUERY_STRING", "")
    if qs.startswith("sleep="):
        time.sleep(float(qs[6:]))
    body = ("pid=%d thread=%s multithread=%s\n" % (
        os.getpid(), threading.current_thread().ident, environ["wsgi.multithread"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
