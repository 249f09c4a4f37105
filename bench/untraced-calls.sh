#!/bin/bash
# bench/untraced-calls.sh: what a ptrace-engine -c trace costs the calls it does not probe,
# on a real workload rather than a getpid() loop. The workload (WORKLOAD, default: find
# over /usr printing every file's size, ~1 system call per file: getdents64, newfstatat,
# openat, close) is timed by the shell that runs it (date +%s%N around it, so dtrace's
# own start-up and exit are left out), untraced and under
#   dtrace -x engine=ptrace -qn 'syscall::mknodat:entry { @ = count(); }' -c 'sh -c ...'
# whose seccomp filter lets every call the workload makes pass (mknodat is never made):
# the filter is in place for the whole run. RUNS runs of each, interleaved; medians, the
# spread of each, and how many system calls one run makes (strace -c -f, once).
#   RUNS=11 bash bench/untraced-calls.sh
# DTRACE=path uses that binary instead of building. PIN=CPU (default 1; PIN= for none).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
PIN=${PIN-1}
WORKLOAD=${WORKLOAD:-"find /usr -xdev -printf '%s\n' | wc -l"}
command -v strace >/dev/null || { echo "strace is not installed"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -z "${DTRACE:-}" ]; then
  swift build -c release --product dtrace >/dev/null
  cp "$(swift build -c release --show-bin-path)/dtrace" "$work/dtrace"
  DTRACE=$work/dtrace
fi
run() { if [ -n "${PIN:-}" ]; then taskset -c "$PIN" "$@"; else "$@"; fi; }
printf '%s\n' 's=$(date +%s%N)' "$WORKLOAD > /dev/null" 'e=$(date +%s%N)' 'echo elapsed_ns=$((e - s))' > "$work/timed.sh"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%.1f-%.1f", a[1], a[NR]}'; }
field() { sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p'; }

echo "dtrace: $DTRACE; $(uname -r); pinned to CPU ${PIN:-none}; RUNS=$RUNS; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workload: $WORKLOAD"
calls=$(run strace -c -f -o "$work/strace" sh -c "$WORKLOAD" > /dev/null; awk '$NF == "total" { print $4 }' "$work/strace")
echo "system calls per run (strace -c -f): $calls"
run sh "$work/timed.sh" > /dev/null   # warm the page cache
for i in $(seq "$RUNS"); do
  run sh "$work/timed.sh" | field | awk '{ print $1 / 1e6 }' >> "$work/untraced"
  run "$DTRACE" -x engine=ptrace -qn 'syscall::mknodat:entry { @ = count(); }' -c "sh $work/timed.sh" > "$work/out" 2> "$work/err" \
    || { echo "dtrace failed: $(cat "$work/err")"; exit 1; }
  field < "$work/out" | awk '{ print $1 / 1e6 }' >> "$work/filtered"
done
u=$(median < "$work/untraced"); f=$(median < "$work/filtered")
printf '%-44s %9.1f ms   runs %s ms\n' "untraced" "$u" "$(spread < "$work/untraced")"
printf '%-44s %9.1f ms   runs %s ms\n' "-c, seccomp filter in place (mknodat probed)" "$f" "$(spread < "$work/filtered")"
awk -v u="$u" -v f="$f" -v n="$calls" 'BEGIN { printf "added: %+.1f ms (%+.2f%%), %+.0f ns per system call\n", f - u, 100 * (f - u) / u, (n > 0 ? (f - u) * 1e6 / n : 0) }'
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
