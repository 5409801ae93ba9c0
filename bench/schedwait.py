#!/usr/bin/env python3
# bench/schedwait.py PARENT_PID OUT: until SIGTERM, follow the fork children of PARENT_PID (the replica's RDB
# child) and write to OUT the seconds they spent runnable but waiting for a CPU, and running, from
# /proc/PID/schedstat ("run_ns wait_ns slices"). The child's wait is how much the other processes on the
# machine (client, store) slowed the snapshot down. Polls every 10 ms; the last sample before a child exits
# is what counts.
import os
import signal
import sys
import time

parent, out = int(sys.argv[1]), sys.argv[2]
seen = {}  # pid -> (first run_ns, first wait_ns, last run_ns, last wait_ns)
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def sample():
    try:
        with open("/proc/%d/task/%d/children" % (parent, parent)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    for k in kids:
        try:
            with open("/proc/%d/schedstat" % k) as f:
                run, wait = (int(x) for x in f.read().split()[:2])
        except (OSError, ValueError):
            continue
        first = seen.get(k, (run, wait, run, wait))
        seen[k] = (first[0], first[1], run, wait)


while not stop:
    sample()
    time.sleep(0.01)
wait_s = sum(v[3] - v[1] for v in seen.values()) / 1e9
run_s = sum(v[2] - v[0] for v in seen.values()) / 1e9
with open(out, "w") as f:
    f.write("%.2f %.2f\n" % (wait_s, run_s))
