#!/bin/bash
# bench/seccomp.sh: what the seccomp filter of a ptrace-traced dtrace -c target costs, per
# getpid() of workload's timed-getpid loop (its own loop_ns, so start-up and exec are left
# out), medians over RUNS runs, each case's added cost against the untraced loop:
#   traced, no stops      seized (PTRACE_O_TRACESECCOMP), resumed with PTRACE_CONT: nothing
#   filter, 1 other call  the filter for write: getpid passes it untraced
#   filter, 8 other calls the filter for 8 calls, getpid not among them
#   filter, all but getpid the filter for every number below 470 but 39 (the longest search)
#   filter, getpid        the filter for getpid: one seccomp stop (RET_TRACE) per call
#   PTRACE_SYSCALL        no filter, resumed with PTRACE_SYSCALL: an entry and an exit stop
#                         per call (and at every other call)
# The untraced cases run CALLS calls, the stopping ones STOP_CALLS. The tracer is
# count-seccomp-stops (release build), which checks each run's stop counts.
#   RUNS=5 CALLS=2000000 STOP_CALLS=100000 bash bench/seccomp.sh
# PIN=CPU (default 1; PIN= for none) runs tracer and workload under taskset -c CPU, so each
# stop is two context switches on one CPU, as in bench/pid.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CALLS=${CALLS:-2000000}
STOP_CALLS=${STOP_CALLS:-100000}
PIN=${PIN-1}
swift build -c release --product count-seccomp-stops >/dev/null
COUNTER=$(swift build -c release --show-bin-path)/count-seccomp-stops
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/workload" workload/workload.c
W="$work/workload"
ALL_BUT_GETPID=$(seq 0 469 | grep -vx 39 | paste -sd,)
EIGHT=read,write,openat,close,mmap,munmap,futex,nanosleep

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { if [ -n "${PIN:-}" ]; then taskset -c "$PIN" "$@"; else "$@"; fi; }

# per_call CALLS [count-seccomp-stops MODE NUMBERS]: the median loop time per call, in ns.
# With a tracer, the line it prints must show the stops the case expects (EXPECT).
per_call() {
  local calls=$1; shift
  local i out
  rm -f "$work/times"
  for i in $(seq "$RUNS"); do
    if [ $# -eq 0 ]; then
      out=$(run "$W" timed-getpid "$calls")
    else
      out=$(run "$COUNTER" "$@" "$W" timed-getpid "$calls")
      if [[ "$out" != *"$EXPECT"* ]]; then echo "unexpected stops in $*: $out" >&2; exit 1; fi
    fi
    grep -o 'loop_ns=[0-9]*' <<<"$out" | cut -d= -f2 | awk -v n="$calls" '{ printf "%.2f\n", $1 / n }' >> "$work/times"
  done
  median < "$work/times"
}

base=$(per_call "$CALLS")
stop_base=$(per_call "$STOP_CALLS")
printf '%-26s %12s %12s\n' case "ns/call" "added ns"
printf '%-26s %12s %12s\n' "untraced" "$base" "-"
line() { printf '%-26s %12s %12.2f\n' "$1" "$2" "$(awk -v a="$2" -v b="$3" 'BEGIN { print a - b }')"; }
EXPECT="stops=39:0 other=0 filter=not-sent";       line "traced, no stops" "$(per_call "$CALLS" traced getpid)" "$base"
EXPECT="stops=1:1 other=0 filter=installed";       line "filter, 1 other call" "$(per_call "$CALLS" filter write)" "$base"
EXPECT="other=0 filter=installed";                 line "filter, 8 other calls" "$(per_call "$CALLS" filter "$EIGHT")" "$base"
EXPECT="other=0 filter=installed";                 line "filter, all but getpid" "$(per_call "$CALLS" filter "$ALL_BUT_GETPID")" "$base"
EXPECT="stops=39:$STOP_CALLS other=0 filter=installed"; line "filter, getpid (stops)" "$(per_call "$STOP_CALLS" filter getpid)" "$stop_base"
EXPECT="stops=39:$STOP_CALLS other=";              line "PTRACE_SYSCALL" "$(per_call "$STOP_CALLS" syscall getpid)" "$stop_base"
