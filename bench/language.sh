#!/bin/bash
# bench/language.sh: issue 2's speed targets on a release build.
#   1. `dtrace -qn 'BEGIN { exit(0); }'` wall time (target: under 20 ms);
#   2. compiling a 200-clause script with -e (target: under 100 ms, process start included).
# With bpftrace installed, its `BEGIN { exit(); }` runs in the same loop for a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-21}
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for i in $(seq 1 200); do
  echo "tick-${i}s /arg0 > $i && pid != $i/ { @c[\"k$i\", probename] = count(); x$i = arg0 + $i * 2; printf(\"%d %s\\n\", x$i, execname); }"
done > "$work/clauses200.d"
python3 bench/measure.py begin-exit "$RUNS" -- "$DTRACE" -qn 'BEGIN { exit(0); }'
python3 bench/measure.py compile-200-clauses "$RUNS" -- "$DTRACE" -e -s "$work/clauses200.d"
if command -v bpftrace >/dev/null; then
  python3 bench/measure.py bpftrace-begin-exit "$RUNS" -- bpftrace -e 'BEGIN { exit(); }'
fi
