"""Prints the CPU time (user + system, in clock ticks) used so far by the live processes of
process group PGID (bench/run: a server and its workers; nginx and wrk are not in it).

usage: cpu.py PGID
"""
import os
import sys


def main():
    pgid = int(sys.argv[1])
    total = 0
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        # After the command: state ppid pgrp ... utime (14th field overall) stime (15th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    print(total)


main()
