#!/usr/bin/env python3
"""bench/startup.py: wall time from launching a tracer to its first probe being enabled.
The tracer runs `workload now` with -c; the tracer releases the workload only once its
probes are enabled, and the workload prints its start time on CLOCK_MONOTONIC, which
Python's time.monotonic_ns() also reads. Prints NAME median_ms=... over RUNS runs.
Usage: startup.py NAME RUNS -- tracer args... (the workload's output must reach stdout)"""
import re, statistics, subprocess, sys, time

name, runs = sys.argv[1], int(sys.argv[2])
command = sys.argv[sys.argv.index("--") + 1:]
samples = []
for _ in range(runs):
    start = time.monotonic_ns()
    output = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    match = re.search(r"start_ns=(\d+)", output)
    if not match:
        sys.exit(f"{name}: the workload did not report its start")
    samples.append((int(match.group(1)) - start) / 1e6)
print(f"{name} to-enabled median_ms={statistics.median(samples):.2f} min_ms={min(samples):.2f}")
