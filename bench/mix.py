"""Client for bench/run's (m) scenario: one slow request always in flight, many fast ones.

usage: mix.py URL SECONDS FAST_CLIENTS [SLOW_CLIENTS]

SLOW_CLIENTS threads (default 2) each keep a `GET /slow` (one second in the app) in flight for
the whole run, each time on a new connection; FAST_CLIENTS threads send `GET /` back to back on
kept-alive connections (reconnecting when the server closes one). With 2 processes x 2 threads
there are 4 Python threads and at most 2 are busy with slow requests, so no fast request should
ever wait for one: a server that queues a request behind a busy thread (both slow requests in
one worker while the other worker idles) shows fast requests of about a second.
Prints one line: MIX fast=N slow=N p50_us= p99_us= max_us= over500ms= errors=
"""
import http.client
import sys
import threading
import time
import urllib.parse


def main():
    url, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    slow_clients = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port
    stop = time.monotonic() + seconds
    lat, errors, slow_done = [], [0], [0]
    lock = threading.Lock()

    def slow():
        while time.monotonic() < stop:
            try:
                c = http.client.HTTPConnection(host, port, timeout=30)
                c.request('GET', '/slow')
                c.getresponse().read()
                c.close()
                with lock:
                    slow_done[0] += 1
            except Exception:
                with lock:
                    errors[0] += 1

    def fast():
        c = http.client.HTTPConnection(host, port, timeout=30)
        mine = []
        reused = False
        while time.monotonic() < stop:
            t = time.monotonic()
            try:
                c.request('GET', '/')
                r = c.getresponse()
                r.read()
                if r.will_close:
                    c.close()
                mine.append(time.monotonic() - t)
                reused = not r.will_close
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed between requests (uWSGI's
                # --http-socket closes each one without saying so): reconnect and go on.
                c.close()
                if not reused:
                    with lock:
                        errors[0] += 1
                reused = False
            except Exception:
                c.close()
                reused = False
                with lock:
                    errors[0] += 1
        with lock:
            lat.extend(mine)

    ss = [threading.Thread(target=slow) for _ in range(slow_clients)]
    for t in ss:
        t.start()
    time.sleep(0.05)  # the slow requests are in the app before the fast ones start
    fs = [threading.Thread(target=fast) for _ in range(clients)]
    for t in fs:
        t.start()
    for t in fs:
        t.join()
    for t in ss:
        t.join()
    lat.sort()
    n = len(lat)
    pct = lambda p: int(lat[min(n - 1, int(n * p))] * 1e6) if n else 0
    print('MIX fast=%d slow=%d p50_us=%d p99_us=%d max_us=%d over500ms=%d errors=%d' % (
        n, slow_done[0], pct(0.50), pct(0.99), int(lat[-1] * 1e6) if n else 0,
        sum(1 for x in lat if x > 0.5), errors[0]))


main()
