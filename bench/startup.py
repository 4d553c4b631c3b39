"""(g) start to first 200: launch a server, poll it until it answers 200, print the time.

usage: startup.py CWD PORT -- CMD...   (CMD already holds PORT; the server runs in its own
session and its whole process group is stopped afterwards)

Polls with a raw socket every millisecond rather than with curl: a curl fork per poll costs
a few ms, more than the resolution we want. Prints `STARTUP <ms>` or `STARTUP fail <why>`.
"""
import os
import signal
import socket
import subprocess
import sys
import time


def answered_200(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1.0) as s:
            s.sendall(b'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')
            data = b''
            while b'\r\n' not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b'HTTP/1.1 200') or data.startswith(b'HTTP/1.0 200')
    except OSError:
        return False


def stop(proc):
    for sig, wait in ((signal.SIGINT, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                proc.wait()
                return
            proc.poll()
            time.sleep(0.01)
    proc.wait()


def main():
    cwd, port, sep, *cmd = sys.argv[1:]
    assert sep == '--' and cmd, __doc__
    port = int(port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            if answered_200(port):
                print('STARTUP %.1f' % ((time.monotonic() - t0) * 1000.0), flush=True)
                return
            if proc.poll() is not None:
                print('STARTUP fail exited with %s' % proc.returncode, flush=True)
                return
            if time.monotonic() - t0 > 30:
                print('STARTUP fail no 200 within 30 s', flush=True)
                return
            time.sleep(0.001)
    finally:
        stop(proc)


if __name__ == '__main__':
    main()
