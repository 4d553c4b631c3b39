#!/usr/bin/env python3
"""The Emperor side by side with uWSGI's emperor (bench/emperor runs this).

  (h) file drop -> first 200 from the new vassal (uWSGI polls every emperor-freq = 3 s)
  (i) edit of the app + touch of the vassal file -> the new code served
  (j) the emperor with N idle vassals: its RSS, and its CPU over an idle window

Both emperors run as the same user on the same vassal files (HTTP on 127.0.0.1, one worker,
the same stdlib app), alternating. Usage: bench/emperor.py EMPEROR_BIN UWSGI_BIN [N]
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

EMPEROR, UWSGI = sys.argv[1], sys.argv[2]
VASSALS = int(sys.argv[3]) if len(sys.argv) > 3 else 200
REPEAT = int(os.environ.get("REPEAT", "5"))
IDLE = float(os.environ.get("IDLE", "10"))

APP = '''
import version
def application(environ, start_response):
    body = ("version=%s\\n" % version.VERSION).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: b\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        if data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n")[0]:
            return data.split(b"\r\n\r\n", 1)[1].decode()
    except OSError:
        pass
    return None


def wait(pred, limit=60.0, step=0.002):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


class Server:
    def __init__(self, name, argv_for):
        self.name, self.argv_for = name, argv_for

    def start(self, vassals):
        self.log = open(os.path.join(os.path.dirname(vassals), self.name + ".log"), "w")
        self.proc = subprocess.Popen(self.argv_for(vassals), stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        time.sleep(0.5)

    def stop(self):
        try:
            os.kill(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # Vassals run in their own sessions under our emperor: sweep leftovers by port users.
        self.log.close()


def vassal(dirpath, appdir, port, fmt_uwsgi):
    # The same file for both: uWSGI needs `master` to act like a vassal of ours.
    return ("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nchdir = %s\nwsgi-file = app.py\n"
            "processes = 1\nmaster = true\n%s" % (port, appdir, "die-on-term = true\n" if fmt_uwsgi else ""))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run(server, uwsgi_fmt):
    out = {}
    work = tempfile.mkdtemp(prefix="emperor-bench-")
    vassals = os.path.join(work, "vassals")
    appdir = os.path.join(work, "app")
    os.makedirs(vassals)
    os.makedirs(appdir)
    with open(os.path.join(appdir, "app.py"), "w") as f:
        f.write(APP)
    with open(os.path.join(appdir, "version.py"), "w") as f:
        f.write("VERSION = 1\n")
    server.start(vassals)
    try:
        # (h) file drop -> first 200
        drops = []
        for i in range(REPEAT):
            # Cold drops: uWSGI rescans at once for a while after a vassal dies, then settles
            # back to polling every emperor-freq (3 s); a drop comes at an arbitrary moment.
            time.sleep(4)
            port = free_port()
            path = os.path.join(vassals, "drop%d.ini" % i)
            t0 = time.monotonic()
            with open(path + ".tmp", "w") as f:
                f.write(vassal(vassals, appdir, port, uwsgi_fmt))
            os.rename(path + ".tmp", path)
            if wait(lambda: get(port), 30):
                drops.append(time.monotonic() - t0)
            os.unlink(path)
            wait(lambda: get(port) is None, 30)
        out["drop_ms"] = [round(d * 1000) for d in drops]
        # (i) edit + touch -> new code served
        port = free_port()
        path = os.path.join(vassals, "reload.ini")
        with open(path, "w") as f:
            f.write(vassal(vassals, appdir, port, uwsgi_fmt))
        wait(lambda: get(port), 30)
        reloads = []
        for v in range(2, 2 + REPEAT):
            time.sleep(1.1)  # uWSGI only sees a later whole second
            with open(os.path.join(appdir, "version.py"), "w") as f:
                f.write("VERSION = %d\n" % v)
            t0 = time.monotonic()
            os.utime(path)
            want = "version=%d" % v
            if wait(lambda: (get(port) or "").startswith(want), 30):
                reloads.append(time.monotonic() - t0)
        out["reload_ms"] = [round(d * 1000) for d in reloads]
        os.unlink(path)
        wait(lambda: get(port) is None, 30)
        # (j) N idle vassals
        ports = [free_port() for _ in range(VASSALS)]
        t0 = time.monotonic()
        for i, p in enumerate(ports):
            with open(os.path.join(vassals, "v%03d.ini" % i), "w") as f:
                f.write(vassal(vassals, appdir, p, uwsgi_fmt))
        up = wait(lambda: all(get(p) for p in ports[-5:]) and all(get(p) for p in ports[::20]), 600, 0.5)
        out["all_up_s"] = round(time.monotonic() - t0, 1) if up else None
        time.sleep(2)
        t = cpu_ticks(server.proc.pid)
        time.sleep(IDLE)
        hz = os.sysconf("SC_CLK_TCK")
        out["idle_cpu_pct"] = round(100.0 * (cpu_ticks(server.proc.pid) - t) / hz / IDLE, 2)
        out["rss_mb"] = round(rss_kb(server.proc.pid) / 1024, 1)
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", work])
    return out


ours = Server("emperor", lambda d: [EMPEROR, "--emperor", d])
theirs = Server("uwsgi", lambda d: [UWSGI, "--emperor", d, "--die-on-term"])
results = {"emperor": run(ours, False), "uwsgi": run(theirs, True)}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


e, u = results["emperor"], results["uwsgi"]
print(json.dumps(results))
print()
print("%-38s %12s %12s %8s" % ("", "emperor", "uWSGI", "ratio"))
rows = [
    ("(h) file drop -> first 200, median ms", med(e["drop_ms"]), med(u["drop_ms"]), "<= 300 ms"),
    ("(i) touch -> new code, median ms", med(e["reload_ms"]), med(u["reload_ms"]), ""),
    ("(j) %d vassals: emperor RSS MB" % VASSALS, e["rss_mb"], u["rss_mb"], "<= 20 MB"),
    ("(j) %d vassals: emperor idle CPU %%" % VASSALS, e["idle_cpu_pct"], u["idle_cpu_pct"], "~0 %"),
    ("(j) %d vassals: all up after s" % VASSALS, e["all_up_s"], u["all_up_s"], ""),
]
for name, a, b, target in rows:
    ratio = (a / b) if (isinstance(a, (int, float)) and isinstance(b, (int, float)) and b) else float("nan")
    print("%-38s %12s %12s %8.2f  %s" % (name, a, b, ratio, target))
