#!/bin/bash
# bench/exit.sh: how long dtrace (release build) and bpftrace take to be gone, with N
# tracepoint probes enabled (N = 10, 100, 360, 720 by default: 720 is every syscalls
# tracepoint; some other tracepoints here refuse perf events even to root, e.g. irq_vectors): each counts events on the
# first N tracepoints dtrace lists (syscalls' first, then the other groups in order), stops after one
# second and prints its count. Two figures, medians of RUNS runs: the time from the last
# output to the exit, and the whole run (start-up, the second of tracing, stopping). bpftrace
# prints only after it has detached, so for it the first figure is small and the second
# holds the detaching. bpftrace refuses more than 512 probes unless BPFTRACE_MAX_PROBES
# says otherwise; this sets it.
#   RUNS=3 COUNTS="10 100 360 720" bash bench/exit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COUNTS=${COUNTS:-"10 100 360 720"}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# Every tracepoint dtrace lists as an sdt probe (group/event), syscalls' first.
"$DTRACE" -l -P sdt | awk 'NR > 1 { print $3 "/" $4 }' > "$work/sdt"
( grep '^syscalls/' "$work/sdt"; grep -v '^syscalls/' "$work/sdt" ) > "$work/all"

python3 - "$DTRACE" "$work" "$RUNS" $COUNTS <<'PY'
import statistics, subprocess, sys, time
dtrace, work, runs, counts = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(c) for c in sys.argv[4:]]
events = [line.strip() for line in open(f"{work}/all") if line.strip()]

def after_output(command):
    """Seconds from the command's last output to its exit, the whole run, and its status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    last = None
    while True:
        chunk = process.stdout.read1(65536)
        if not chunk:
            break
        last = time.perf_counter()
    process.wait()
    end = time.perf_counter()
    return ((end - last) if last else None), end - start, process.returncode

for count in counts:
    chosen = events[:count]
    d_script = ",\n".join(f"sdt:{e.split('/')[0]}::{e.split('/')[1]}" for e in chosen) + " { @ = count(); }\ntick-1s { exit(0); }\n"
    b_script = ",\n".join(f"tracepoint:{e.split('/')[0]}:{e.split('/')[1]}" for e in chosen) + " { @ = count(); }\ninterval:s:1 { exit(); }\n"
    open(f"{work}/probes.d", "w").write(d_script)
    open(f"{work}/probes.bt", "w").write(b_script)
    results = {}
    for name, command in (("dtrace", [dtrace, "-qs", f"{work}/probes.d"]), ("bpftrace", ["env", "BPFTRACE_MAX_PROBES=4096", "bpftrace", f"{work}/probes.bt"])):
        times, walls = [], []
        for _ in range(runs):
            seconds, wall, status = after_output(command)
            if status != 0 or seconds is None:
                times = None
                break
            times.append(seconds)
            walls.append(wall)
        results[name] = f"{statistics.median(times):.2f} s after output, {statistics.median(walls):.2f} s whole run" if times else "failed"
    print(f"{len(chosen)} probes: dtrace {results['dtrace']}; bpftrace {results['bpftrace']}", flush=True)
PY
