#!/bin/bash
# bench/ab.sh: the added cost per getpid() of one D program under two dtrace binaries,
# run interleaved (RUNS runs each, medians), to measure a change to the code generator:
#   OLD=/tmp/dtrace-before NEW=.build/release/dtrace RUNS=15 bash bench/ab.sh 'syscall::getpid:entry { @[execname] = count(); }'
# Without OLD, only NEW is measured (the cost of one program against the bare loop).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
CALLS=${CALLS:-1000000}
NEW=${NEW:-.build/release/dtrace}
PROGRAM=${1:?usage: OLD=binary NEW=binary bash bench/ab.sh 'D program'}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/workload" workload/workload.c
loop_ns() { grep -o 'loop_ns=[0-9]*' | cut -d= -f2; }
for _ in $(seq "$RUNS"); do
    "$work/workload" timed-getpid "$CALLS" | loop_ns >>"$work/base"
    if [ -n "${OLD:-}" ]; then "$OLD" -qn "$PROGRAM" -c "$work/workload timed-getpid $CALLS" 2>/dev/null | loop_ns >>"$work/old"; fi
    "$NEW" -qn "$PROGRAM" -c "$work/workload timed-getpid $CALLS" 2>/dev/null | loop_ns >>"$work/new"
done
python3 - "$work" "$CALLS" <<'PY'
import os, statistics, sys
work, calls = sys.argv[1], int(sys.argv[2])
def per_call(name):
    path = os.path.join(work, name)
    return [int(line) / calls for line in open(path)] if os.path.exists(path) else []
base = statistics.median(per_call("base"))
line = "baseline %.1f ns/call" % base
if per_call("old"): line += "; old +%.1f ns/call" % (statistics.median(per_call("old")) - base)
line += "; new +%.1f ns/call" % (statistics.median(per_call("new")) - base)
print(line)
PY
