#!/bin/bash
# bench/syscall-exit.sh: how long dtrace (release build) and bpftrace take to be gone
# with every system call's entry and return probed (dtrace: syscall:::entry and :return,
# which share one raw_syscalls program per clause; bpftrace: tracepoint:syscalls:sys_enter_*
# and sys_exit_*), each counting for one second. Three figures, medians of RUNS runs: the
# whole run of the command, and for dtrace when its background detach child (which
# closes the kernel attachments after dtrace has exited) is gone too.
#   RUNS=5 bash bench/syscall-exit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace
python3 - "$DTRACE" "$RUNS" <<'PY'
import statistics, subprocess, sys, time, os
dtrace, runs = sys.argv[1], int(sys.argv[2])
env = dict(os.environ, BPFTRACE_MAX_PROBES="2000")

def detach_gone(deadline=120):
    start = time.time()
    while time.time() - start < deadline:
        if subprocess.run(["pgrep", "dtrace-detach"], capture_output=True).returncode != 0:
            return time.time() - start
        time.sleep(0.02)
    return float("inf")

def run(command):
    start = time.time()
    subprocess.run(command, capture_output=True, env=env)
    return time.time() - start

d_run, d_gone, b_run = [], [], []
for _ in range(runs):
    d_run.append(run([dtrace, "-qn", "syscall:::entry { @c = count(); } syscall:::return { @r = count(); } tick-1s { exit(0); }"]))
    d_gone.append(d_run[-1] + detach_gone())
    b_run.append(run(["bpftrace", "-e", "tracepoint:syscalls:sys_enter_* { @c = count(); } tracepoint:syscalls:sys_exit_* { @r = count(); } interval:s:1 { exit(); }"]))
med = statistics.median
print(f"dtrace: run {med(d_run):.2f} s, detach child gone {med(d_gone):.2f} s after start")
print(f"bpftrace: run {med(b_run):.2f} s")
print(f"ratio (dtrace all gone / bpftrace run): {med(d_gone) / med(b_run):.3f}")
PY
