"""Starts a background thread while it loads (a preloaded app's thread does not survive
fork: the master warns)."""
import threading
import time

threading.Thread(target=time.sleep, args=(60,), daemon=True).start()


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
