"""Prints bench/run's summary from the TSV files it wrote into WORK.

usage: report.py WORK   (reads WORK/meta, throughput.tsv, memory.tsv, startup.tsv,
commands.tsv, notes.txt)
"""
import os
import statistics
import sys

SERVERS = [('emperor', 'emperor'), ('uwsgi', 'uWSGI'), ('granian', 'granian'),
           ('fastwsgi', 'fastwsgi'), ('bjoern', 'bjoern')]
SCENARIOS = [
    ('keepalive', '(a) HTTP keep-alive', 'hello.py, GET, keep-alive'),
    ('close', '(b) HTTP Connection: close', 'hello.py, GET, a new connection per request'),
    ('nginx', '(c) nginx uwsgi_pass', 'hello.py through one nginx worker (wrk keeps alive to nginx)'),
    ('post', '(d) 10 KB POST echoed', 'echo.py, 10240-byte body read and sent back'),
    ('stream', '(e) streamed response', 'stream.py, 8 yielded chunks of 16 B, no Content-Length'),
    ('pc-keepalive', '(p) HTTP keep-alive, per core', 'hello.py, 1 worker on CPU 1, wrk -t1 -c32 on CPU 0'),
    ('pc-close', '(q) HTTP Connection: close, per core', 'hello.py, 1 worker on CPU 1, wrk -t1 -c32 on CPU 0'),
]
# Throughput targets: (the peer(s), the factor emperor's req/s must reach against the best of them)
TARGETS = {
    'keepalive': (['granian'], 1.3),
    'close': (['uwsgi'], 1.2),
    'nginx': (['uwsgi'], 1.2),
    'post': (['uwsgi', 'granian'], 1.0),
    'stream': (['granian'], 1.2),
    'pc-keepalive': (['fastwsgi', 'bjoern'], 1.0),
    'pc-close': (['fastwsgi', 'bjoern'], 1.0),
}
# Server CPU per request targets: an absolute bound in microseconds, or (peer, factor).
CPU_TARGETS = {
    'keepalive': 12.0,
    'close': 30.0,
    'nginx': ('uwsgi', 0.6),
}


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    if len(xs) < 2:
        return '  n/a'
    m = statistics.median(xs)
    return '%4.1f%%' % ((max(xs) - min(xs)) / m * 100.0) if m else '  n/a'


def fmt_rps(x):
    if x is None:
        return '-'
    return '%.1fk' % (x / 1000.0) if x >= 1000 else '%.0f' % x


def fmt_us(x):
    if x is None:
        return '-'
    if x >= 1000000:
        return '%.2f s' % (x / 1e6)
    if x >= 1000:
        return '%.2f ms' % (x / 1000.0)
    return '%.0f us' % x


def fmt_cpu(x):
    return '-' if x is None else '%.1f us' % x


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return '-' if r is None else '%.2fx' % r


def main():
    work = sys.argv[1]
    meta = dict(l for l in read_tsv(os.path.join(work, 'meta')))
    out = []
    w = out.append
    w('=' * 100)
    w('emperor bench summary   %s' % meta.get('date', ''))
    w('  machine: %s cores, %s; emperor %s; uWSGI %s; granian %s; %s' % (
        meta.get('cores'), meta.get('kernel'), meta.get('emperor_rev'), meta.get('uwsgi_version'),
        meta.get('granian_version'), meta.get('python')))
    w('  load: %s; %s run(s) of %s s each per server and scenario, alternating servers '
      '(A B C A B C ...),' % (meta.get('wrk'), meta.get('runs'), meta.get('duration')))
    w('  each after a %s s warm-up on a freshly started server; figures are medians,' % meta.get('warmup'))
    w('  spread = (max - min) / median over the runs. Ratios are emperor / peer: rps > 1 and p99 < 1 favour emperor.')
    w('  wrk shares the 2 cores with the servers (and nginx in (c)): compare ratios within this run only.')
    w('  load average (1/5/15 min) at start: %s, at end: %s (anything else running skews the figures).' % (
        meta.get('load_start', '?'), meta.get('load_end', '?')))
    w('=' * 100)

    rows = read_tsv(os.path.join(work, 'throughput.tsv'))
    data = {}
    for r in rows:
        scen, server, run, rps, p99, p50, conn, rd, wr, status, tmo, reqs = r[:12]
        d = data.setdefault((scen, server), {'rps': [], 'p99': [], 'p50': [], 'cpu': [],
                                             'err': [0, 0, 0, 0, 0], 'reqs': 0})
        if len(r) > 12:
            d['cpu'].append(float(r[12]))
        d['rps'].append(float(rps))
        d['p99'].append(float(p99))
        d['p50'].append(float(p50))
        for i, v in enumerate((conn, rd, wr, status, tmo)):
            d['err'][i] += int(v)
        d['reqs'] += int(reqs)

    if data:
        w('')
        w('THROUGHPUT AND LATENCY')
        w('%-40s %8s %7s %9s %7s %8s %8s  %s' % ('scenario / server', 'req/s', 'spread', 'p99', 'spread',
                                                'p50', 'CPU/req', 'errors'))
        w('  (CPU/req: the server\'s own user+system CPU time per request, master and workers, in')
        w('   microseconds; nginx and wrk not included. Less noisy than req/s on a shared machine.)')
    verdicts = []
    for scen, title, desc in SCENARIOS:
        if not any((scen, s) in data for s, _ in SERVERS):
            continue
        w('-' * 100)
        w('%s   [%s]' % (title, desc))
        med_rps, med_p99, med_cpu = {}, {}, {}
        for s, label in SERVERS:
            d = data.get((scen, s))
            if not d:
                continue
            if scen == 'nginx' and s == 'granian':
                label = 'granian (proxy_pass, upstream keep-alive)'
            elif scen == 'nginx':
                label = '%s (--socket)' % label
            med_rps[s], med_p99[s], med_cpu[s] = med(d['rps']), med(d['p99']), med(d['cpu'])
            names = ('connect', 'read', 'write', 'non-2xx/3xx', 'timeout')
            errs = ', '.join('%s %d' % (n, v) for n, v in zip(names, d['err']) if v) or 'none'
            w('  %-38s %8s %7s %9s %7s %8s %8s  %s' % (label[:38], fmt_rps(med_rps[s]), spread(d['rps']),
                                                       fmt_us(med_p99[s]), spread(d['p99']),
                                                       fmt_us(med(d['p50'])), fmt_cpu(med_cpu[s]), errs))
        parts = []
        for s, label in SERVERS[1:]:
            if s in med_rps and 'emperor' in med_rps:
                parts.append('emperor/%s: rps %s, p99 %s, CPU/req %s' % (
                    label, fmt_ratio(ratio(med_rps['emperor'], med_rps[s])),
                    fmt_ratio(ratio(med_p99['emperor'], med_p99[s])),
                    fmt_ratio(ratio(med_cpu.get('emperor'), med_cpu.get(s)))))
        if parts:
            w('  ' + ';  '.join(parts))
        peers, factor = TARGETS[scen]
        have = [p for p in peers if p in med_rps]
        if have and 'emperor' in med_rps:
            best = max(have, key=lambda p: med_rps[p])
            r = ratio(med_rps['emperor'], med_rps[best])
            name = dict(SERVERS)[best] if len(peers) == 1 else 'the best peer (%s)' % dict(SERVERS)[best]
            ok = r is not None and r >= factor
            verdicts.append('%s: rps >= %.1fx %s -> %s %s' % (title, factor, name, fmt_ratio(r),
                                                              'MET' if ok else 'not met'))
            w('  target: rps >= %.1fx %s -> %s, %s' % (factor, name, fmt_ratio(r), 'MET' if ok else 'not met'))
        cpu_target = CPU_TARGETS.get(scen)
        mine = med_cpu.get('emperor')
        if cpu_target is not None and mine is not None:
            if isinstance(cpu_target, tuple):
                peer, factor = cpu_target
                r = ratio(mine, med_cpu.get(peer))
                ok = r is not None and r <= factor
                text = 'CPU/req <= %.1fx %s -> %s' % (factor, dict(SERVERS)[peer], fmt_ratio(r))
            else:
                ok = mine <= cpu_target
                text = 'CPU/req <= %.0f us -> %s' % (cpu_target, fmt_cpu(mine))
            verdicts.append('%s: %s %s' % (title, text, 'MET' if ok else 'not met'))
            w('  target: %s, %s' % (text, 'MET' if ok else 'not met'))

    mem = read_tsv(os.path.join(work, 'memory.tsv'))
    if mem:
        w('')
        w('-' * 100)
        w('(f) IDLE MEMORY PER WORKER  [hello.py, 2 workers, /proc/PID/smaps_rollup after the first 200,')
        w('    1 s of light traffic (wrk -t1 -c4) and 1 s idle; USS = Private_Clean + Private_Dirty;')
        w('    per-worker medians over all workers of all runs; master = the supervising process]')
        w('  %-10s %12s %7s %12s %7s %12s %14s %14s' % ('server', 'worker PSS', 'spread', 'worker USS',
                                                       'spread', 'worker RSS', 'master PSS', 'master RSS'))
        mm = {}
        for s, label in SERVERS:
            ws = [r for r in mem if r[0] == s and r[2] == 'worker']
            ms = [r for r in mem if r[0] == s and r[2] == 'master']
            if not ws:
                continue
            rss = [float(r[4]) for r in ws]
            pss = [float(r[5]) for r in ws]
            uss = [float(r[6]) for r in ws]
            mm[s] = (med(pss), med(uss))
            mp = med([float(r[5]) for r in ms]) if ms else None
            mr = med([float(r[4]) for r in ms]) if ms else None
            mb = lambda kb: '-' if kb is None else '%.1f MB' % (kb / 1024.0)
            w('  %-10s %12s %7s %12s %7s %12s %14s %14s' % (label, mb(med(pss)), spread(pss), mb(med(uss)),
                                                           spread(uss), mb(med(rss)), mb(mp), mb(mr)))
        for s, label in SERVERS[1:]:
            if s in mm and 'emperor' in mm:
                w('  emperor/%s: PSS %s, USS %s' % (label, fmt_ratio(ratio(mm['emperor'][0], mm[s][0])),
                                                   fmt_ratio(ratio(mm['emperor'][1], mm[s][1]))))
        if 'emperor' in mm and 'uwsgi' in mm:
            r = ratio(mm['emperor'][0], mm['uwsgi'][0])
            ok = r is not None and r <= 0.8
            verdicts.append('(f) idle worker PSS: <= 0.8x uWSGI -> %s %s' % (fmt_ratio(r), 'MET' if ok else 'not met'))
            w('  target: worker PSS <= 0.8x uWSGI -> %s, %s' % (fmt_ratio(r), 'MET' if ok else 'not met'))

    st = read_tsv(os.path.join(work, 'startup.tsv'))
    if st:
        w('')
        w('-' * 100)
        w('(g) START TO FIRST 200  [hello.py, 2 workers: launch, poll GET / every 1 ms over a raw socket;')
        w('    one discarded warm-up launch per server, then launches alternating between servers]')
        w('  %-10s %10s %8s %10s %10s %s' % ('server', 'median', 'spread', 'min', 'max', 'launches'))
        sm = {}
        for s, label in SERVERS:
            xs = [float(r[2]) for r in st if r[0] == s and r[2] != 'fail']
            fails = [r for r in st if r[0] == s and r[2] == 'fail']
            if not xs and not fails:
                continue
            sm[s] = med(xs)
            w('  %-10s %10s %8s %10s %10s %d%s' % (
                label, '-' if not xs else '%.1f ms' % med(xs), spread(xs),
                '-' if not xs else '%.1f ms' % min(xs), '-' if not xs else '%.1f ms' % max(xs),
                len(xs), (' (%d failed)' % len(fails)) if fails else ''))
        for s, label in SERVERS[1:]:
            if s in sm and 'emperor' in sm:
                w('  emperor/%s: %s' % (label, fmt_ratio(ratio(sm['emperor'], sm[s]))))
        if 'emperor' in sm and 'uwsgi' in sm:
            r = ratio(sm['emperor'], sm['uwsgi'])
            ok = r is not None and r <= 1.0
            verdicts.append('(g) start to first 200: <= uWSGI -> %s %s' % (fmt_ratio(r), 'MET' if ok else 'not met'))
            w('  target: <= uWSGI -> %s, %s' % (fmt_ratio(r), 'MET' if ok else 'not met'))

    mix = read_tsv(os.path.join(work, 'mix.tsv'))
    if mix:
        w('')
        w('-' * 100)
        w('(m) SLOW AND FAST REQUESTS  [mixed.py, 2 processes x 2 threads: two GET /slow (1 s in the app)')
        w('    always in flight, 8 clients sending GET / back to back; latency of the fast requests,')
        w('    medians over the runs; "> 500 ms" sums the fast requests that waited for a slow one')
        w('    although at least 2 of the 4 Python threads were free]')
        w('  %-10s %10s %9s %9s %9s %9s %8s' % ('server', 'fast req', 'p50', 'p99', 'max', '> 500 ms', 'errors'))
        mp = {}
        for s, label in SERVERS:
            rs = [r for r in mix if r[0] == s]
            if not rs:
                continue
            p99 = med([float(r[5]) for r in rs])
            over = sum(int(r[7]) for r in rs)
            mp[s] = (p99, over)
            w('  %-10s %10d %9s %9s %9s %9d %8d' % (
                label, int(med([float(r[2]) for r in rs])), fmt_us(med([float(r[4]) for r in rs])),
                fmt_us(p99), fmt_us(med([float(r[6]) for r in rs])), over, sum(int(r[8]) for r in rs)))
        for s, label in SERVERS[1:]:
            if s in mp and 'emperor' in mp:
                w('  emperor/%s: fast p99 %s' % (label, fmt_ratio(ratio(mp['emperor'][0], mp[s][0]))))
        if 'emperor' in mp:
            ok = mp['emperor'][1] == 0
            verdicts.append('(m) no fast request waits while a thread is free -> %d over 500 ms %s' % (
                mp['emperor'][1], 'MET' if ok else 'not met'))

    if verdicts:
        w('')
        w('-' * 100)
        w('TARGETS')
        for v in verdicts:
            w('  ' + v)

    cmds = read_tsv(os.path.join(work, 'commands.tsv'))
    if cmds:
        w('')
        w('-' * 100)
        w('COMMAND LINES (run from bench/apps; APP = hello, echo, stream or mixed; P = a free port)')
        order = ['emperor', 'uwsgi', 'granian', 'fastwsgi', 'bjoern', 'emperor (for nginx)', 'uwsgi (for nginx)', 'nginx-uwsgi',
                 'nginx-proxy'] + ['wrk (%s)' % sc[0] for sc in SCENARIOS]
        cmds.sort(key=lambda kc: (order.index(kc[0]) if kc[0] in order else len(order), kc[0]))
        for key, cmd in cmds:
            w('  %-20s %s' % (key, cmd))

    notes_path = os.path.join(work, 'notes.txt')
    notes = open(notes_path).read().strip() if os.path.exists(notes_path) else ''
    w('')
    w('-' * 100)
    w('NOTES')
    w('  - uWSGI --http-socket closes every connection (no HTTP keep-alive: that is how uWSGI behaves;')
    w('    its --http11-socket starves clients with sync workers), so in (a), (d) and (e) wrk reconnects')
    w('    for each uWSGI request: its "keep-alive" figure is really a connection-per-request figure.')
    w('  - (c) granian speaks no uwsgi protocol: it runs behind nginx proxy_pass with an upstream')
    w('    keep-alive pool (keepalive 32, HTTP/1.1) instead; emperor and uWSGI use --socket + uwsgi_pass.')
    w('  - wrk counts a "read" error when a server closes a connection before wrk expected it (e.g. a')
    w('    close-delimited streamed body); non-2xx/3xx are HTTP error statuses.')
    for line in notes.splitlines():
        w('  - ' + line)
    w('=' * 100)
    print('\n'.join(out))


if __name__ == '__main__':
    main()
