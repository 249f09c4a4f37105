#!/bin/bash
# bench/kernel.sh: issue 3's targets, dtrace (release build) against bpftrace, same
# machine, same run, medians over RUNS runs.
#   1. added cost per getpid() of `@[execname] = count()` over 1,000,000 calls;
#   2. start-up to the first probe firing (BEGIN; a syscall probe) and peak RSS;
#   3. printf of one integer per event at 200,000 events/s for 10 s: lines and drops.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
CALLS=${CALLS:-1000000}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/workload" workload/workload.c
W="$work/workload"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
loop_ns() { grep -o 'loop_ns=[0-9]*' | cut -d= -f2; }

echo "== overhead per getpid() over $CALLS calls (median of $RUNS) =="
for i in $(seq "$RUNS"); do
  "$W" timed-getpid "$CALLS" | loop_ns >> "$work/base"
  "$DTRACE" -qn 'syscall::getpid:entry { @[execname] = count(); }' -c "$W timed-getpid $CALLS" 2>/dev/null | loop_ns >> "$work/dtrace"
  bpftrace -e 'tracepoint:syscalls:sys_enter_getpid { @[comm] = count(); }' -c "$W timed-getpid $CALLS" 2>/dev/null | loop_ns >> "$work/bpftrace"
done
base=$(median < "$work/base"); d=$(median < "$work/dtrace"); b=$(median < "$work/bpftrace")
awk -v base="$base" -v d="$d" -v b="$b" -v n="$CALLS" 'BEGIN {
  printf "baseline %.1f ns/call; dtrace +%.1f ns/call; bpftrace +%.1f ns/call; ratio dtrace/bpftrace %.2f (target <= 0.50)\n",
    base/n, (d-base)/n, (b-base)/n, (d-base)/(b-base) }'

echo "== whole runs: wall time and peak RSS (median of $RUNS) =="
python3 bench/measure.py dtrace-begin "$RUNS" -- "$DTRACE" -qn 'BEGIN { exit(0); }'
python3 bench/measure.py bpftrace-begin "$RUNS" -- bpftrace -e 'BEGIN { exit(); }'
python3 bench/measure.py dtrace-kernel-begin "$RUNS" -- "$DTRACE" -x engine=kernel -qn 'BEGIN { exit(0); }'
python3 bench/measure.py dtrace-syscall "$RUNS" -- "$DTRACE" -qn 'syscall::getpid:entry /pid == $target/ { exit(0); }' -c "$W timed-getpid 1"
python3 bench/measure.py bpftrace-syscall "$RUNS" -- bpftrace -e 'tracepoint:syscalls:sys_enter_getpid /pid == cpid/ { exit(); }' -c "$W timed-getpid 1"

echo "== launch to first probe enabled (median of $RUNS) =="
python3 bench/startup.py dtrace-syscall "$RUNS" -- "$DTRACE" -qn 'syscall::getpid:entry /pid == $target/ { exit(0); }' -c "$W now"
python3 bench/startup.py bpftrace-syscall "$RUNS" -- bpftrace -e 'tracepoint:syscalls:sys_enter_getpid /pid == cpid/ { exit(); }' -c "$W now"
python3 bench/startup.py dtrace-begin "$RUNS" -- "$DTRACE" -qn 'BEGIN { }' -c "$W now"
python3 bench/startup.py bpftrace-begin "$RUNS" -- bpftrace -e 'BEGIN { }' -c "$W now"

echo "== printf throughput: 200000 events/s for 10 s =="
"$DTRACE" -qn 'syscall::getpid:entry /pid == $target/ { printf("%d\n", arg0); }' -c "$W paced 200000 10" > "$work/lines" 2> "$work/errors" || true
echo "lines=$(grep -c . "$work/lines") expected=2000000 drops=$(grep -c 'drop' "$work/errors" || true)"
grep drop "$work/errors" | head -3 || true
