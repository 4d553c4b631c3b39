"""Reads a JSON list of hex-encoded byte streams on stdin; prints a JSON list holding, for each
stream, what the h11 package (a strict HTTP/1.1 state machine) makes of it as a server: one
"accept" per complete request, then "reject" if it finds a protocol error. A stream h11 is
still waiting on ends its list (neither)."""
import json
import sys

import h11


def verdicts(data):
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    out = []
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            out.append("reject")
            return out
        if event is h11.NEED_DATA or event is h11.PAUSED:
            return out
        if isinstance(event, h11.EndOfMessage):
            out.append("accept")
            conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.MUST_CLOSE:
                return out
            conn.start_next_cycle()


print(json.dumps([verdicts(bytes.fromhex(s)) for s in json.load(sys.stdin)]))
