#!/usr/bin/env python3
"""bench/measure.py: runs a command N times and prints the median wall time (ms) and the
median peak RSS (KiB) of the process tree's largest child, as one line:
    NAME median_ms=... min_ms=... rss_kib=...
Usage: measure.py NAME RUNS -- command args..."""
import os, statistics, subprocess, sys, time

def main():
    name, runs = sys.argv[1], int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1:]
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        times.append((time.perf_counter() - start) * 1000)
        rss.append(usage.ru_maxrss)
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"{name} failed: exit {os.waitstatus_to_exitcode(status)}", file=sys.stderr)
            sys.exit(1)
    print(f"{name} median_ms={statistics.median(times):.2f} min_ms={min(times):.2f} rss_kib={int(statistics.median(rss))}")

main()
