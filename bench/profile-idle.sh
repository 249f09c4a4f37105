#!/bin/bash
# bench/profile-idle.sh: how many of its due samples profile-N gives each CPU, idle ones
# included, against bpftrace's profile:hz:N on the same machine in the same run. Each run
# counts samples per CPU for SECONDS seconds (dtrace: profile-N with tick-Ns; bpftrace:
# profile:hz:N with interval:s:N); the figure is each CPU's count over N x SECONDS, the
# median and the lowest of RUNS runs. Run it on an idle machine: the point is the CPUs
# that sleep in the idle loop (DTrace samples them there: arg0 is the idle routine).
#   RUNS=5 RATES="97 997 4999" SECONDS_PER_RUN=2 bash bench/profile-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
RATES=${RATES:-"97 997 4999"}
PER_RUN=${SECONDS_PER_RUN:-2}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace

python3 - "$DTRACE" "$RUNS" "$PER_RUN" $RATES <<'PY'
import re, statistics, subprocess, sys
dtrace, runs, seconds, rates = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(r) for r in sys.argv[4:]]
cpus = sum(
    (int(b) - int(a) + 1) if "-" in part else 1
    for part in open("/sys/devices/system/cpu/online").read().strip().split(",")
    for a, b in [part.split("-") if "-" in part else (part, part)])

def counts(command, pattern):
    out = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    found = {int(c): int(n) for c, n in re.findall(pattern, out)}
    return [found.get(cpu, 0) for cpu in range(cpus)]

for rate in rates:
    due = rate * seconds
    tools = {
        "dtrace": ([dtrace, "-qn", f"profile-{rate} {{ @[cpu] = count(); }} tick-{seconds}s {{ exit(0); }} END {{ printa(\"cpu %d %@d\\n\", @); }}"],
                   r"cpu (\d+) (\d+)"),
        "bpftrace": (["bpftrace", "-e", f"profile:hz:{rate} {{ @[cpu] = count(); }} interval:s:{seconds} {{ exit(); }}"],
                     r"@\[(\d+)\]: (\d+)"),
    }
    fractions = {tool: [[] for _ in range(cpus)] for tool in tools}
    for _ in range(runs):
        for tool, (command, pattern) in tools.items():
            for cpu, n in enumerate(counts(command, pattern)):
                fractions[tool][cpu].append(n / due)
    for tool in tools:
        cells = "  ".join(f"cpu{cpu} median {statistics.median(f):.3f} lowest {min(f):.3f}" for cpu, f in enumerate(fractions[tool]))
        print(f"profile at {rate} Hz, {seconds} s, {runs} runs, {tool:8}: {cells}")
PY
