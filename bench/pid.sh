#!/bin/bash
# bench/pid.sh: issue 12's targets, dtrace (release build) against bpftrace, same machine,
# same run, medians over RUNS runs (the tools and the untraced loop interleaved).
#   1. cost per hit of a pid probe with `@ = count()` over CALLS calls of workload's `calls`
#      loop (sum8, plain_sum and labs once each per iteration, one of them probed):
#      (a) entry of plain_sum (push %rbp: the kernel emulates it), (b) entry of sum8
#      (endbr64 first: dtrace probes +4, bpftrace the endbr64, which the kernel single-steps),
#      (c) return of sum8. Cost per hit = (traced loop - untraced loop) / CALLS.
#   2. every libc function's entry probe (pid$target:libc.so.6::entry, a few thousand):
#      launch to the probes enabled (bench/startup.py's method: `workload now` prints its
#      start time once the tool releases it), time from the tool's last output to its exit
#      and the whole run (bench/exit.sh's method); LIBC_RUNS runs. bpftrace's
#      `uprobe:libc.so.6:*` is tried once (BPFTRACE_WILDCARD=0 skips it); it is then given
#      the functions dtrace enabled, by name, with `/pid == cpid/` (its uprobes are not
#      limited to the -c process, dtrace's are).
#   3. cost per hit of the USDT probe myapp:::counted of workload/usdt/app.c (a nop site).
#   RUNS=5 LIBC_RUNS=3 CALLS=2000000 bash bench/pid.sh
# PIN=CPU (default 1; PIN= for none) runs the per-hit cases' tools and workloads under
# taskset -c CPU: on the 2-CPU machine it cut the runs' spread from ~50% to ~5%. The libc
# case runs unpinned. CASES="plain sum8 return usdt libc" (the default) chooses the
# measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
LIBC_RUNS=${LIBC_RUNS:-3}
CALLS=${CALLS:-2000000}
PIN=${PIN-1}
CASES=" ${CASES:-plain sum8 return usdt libc} "
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
swift build -c release --product dtrace >/dev/null
DTRACE=$(swift build -c release --show-bin-path)/dtrace
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -fcf-protection=full -fno-omit-frame-pointer -o "$work/workload" workload/workload.c
W="$work/workload"
"$DTRACE" -h -s workload/usdt/provider.d -o "$work/provider.h"
cc -O2 -I "$work" -o "$work/app" workload/usdt/app.c
LIBC=$(ldd "$W" | awk '/libc.so.6/ { print $3 }')
LIBC=$(readlink -f "$LIBC")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$1=[0-9]*" | cut -d= -f2; }
want() { [[ "$CASES" == *" $1 "* ]]; }
run() { if [ -n "${PIN:-}" ]; then taskset -c "$PIN" "$@"; else "$@"; fi; }

# per_hit NAME FIELD 'COMMAND' 'D PROGRAM' 'BPFTRACE PROGRAM': one line of ns per hit.
per_hit() {
  local name=$1 key=$2 command=$3 d=$4 b=$5 i
  rm -f "$work"/{base,dtrace,bpftrace,counts}
  for i in $(seq "$RUNS"); do
    run $command | field "$key" >> "$work/base"
    run "$DTRACE" -qn "$d" -c "$command" 2>/dev/null > "$work/out"
    field "$key" < "$work/out" >> "$work/dtrace"
    awk '/^ *[0-9]+$/ { print "dtrace", $1 }' "$work/out" >> "$work/counts"
    run bpftrace -e "$b" -c "$command" 2>/dev/null > "$work/out"
    field "$key" < "$work/out" >> "$work/bpftrace"
    awk '/^@: / { print "bpftrace", $2 }' "$work/out" >> "$work/counts"
  done
  # Every run must have counted every call.
  if awk -v n="$CALLS" -v r="$RUNS" '$2 != n { bad = 1 } END { exit !(bad || NR != 2 * r) }' "$work/counts"; then
    echo "$name: a run did not count $CALLS hits:"; sort "$work/counts" | uniq -c
  fi
  awk -v name="$name" -v n="$CALLS" -v base="$(median < "$work/base")" -v d="$(median < "$work/dtrace")" \
      -v b="$(median < "$work/bpftrace")" -v ds="$(sort -n "$work/dtrace" | tr '\n' ' ')" -v bs="$(sort -n "$work/bpftrace" | tr '\n' ' ')" 'BEGIN {
    printf "%s: untraced %.1f ns/iteration; dtrace %.1f ns/hit; bpftrace %.1f ns/hit; ratio dtrace/bpftrace %.3f\n",
      name, base / n, (d - base) / n, (b - base) / n, (d - base) / (b - base)
    printf "  runs (loop ns) dtrace: %s\n  runs (loop ns) bpftrace: %s\n", ds, bs }'
}

echo "== pid probes: cost per hit, $CALLS calls (median of $RUNS) =="
want plain && per_hit "plain_sum entry (push %rbp)" calls_ns "$W calls $CALLS" \
  'pid$target:a.out:plain_sum:entry { @ = count(); }' "uprobe:$W:plain_sum { @ = count(); }"
want sum8 && per_hit "sum8 entry (endbr64)" calls_ns "$W calls $CALLS" \
  'pid$target:a.out:sum8:entry { @ = count(); }' "uprobe:$W:sum8 { @ = count(); }"
want return && per_hit "sum8 return" calls_ns "$W calls $CALLS" \
  'pid$target:a.out:sum8:return { @ = count(); }' "uretprobe:$W:sum8 { @ = count(); }"

echo "== USDT: cost per hit, $CALLS firings (median of $RUNS) =="
want usdt && per_hit "myapp:::counted" loop_ns "$work/app $CALLS" \
  'myapp$target:::counted { @ = count(); }' "usdt:$work/app:myapp:counted { @ = count(); }"

want libc || exit 0
echo "== every libc entry probe: launch to enabled, exit (median of $LIBC_RUNS) =="
"$DTRACE" -l -n 'pid$target:libc.so.6::entry' -c "$W now" 2>/dev/null | awk 'NR > 1 { print $4 }' | sort -u > "$work/functions"
echo "dtrace enables $(wc -l < "$work/functions") libc functions' entries ($LIBC); bpftrace lists $(bpftrace -l "uprobe:$LIBC:*" | wc -l) symbols"
{ sed "s|.*|uprobe:$LIBC:&,|" "$work/functions" | sed '$ s/,$//'
  echo '/pid == cpid/ { @ = count(); }'
  echo "uprobe:$LIBC:syscall /pid == cpid/ { exit(); }"; } > "$work/libc.bt"
python3 - "$LIBC_RUNS" "${BPFTRACE_WILDCARD:-1}" "$DTRACE" "$W" "$LIBC" "$work/libc.bt" <<'PY'
import os, re, statistics, subprocess, sys, time
runs, wildcard, dtrace, workload, libc, script = int(sys.argv[1]), sys.argv[2] == "1", *sys.argv[3:]
env = dict(os.environ, BPFTRACE_MAX_PROBES="100000")

def once(command):
    """Launch to the workload's start (ms), last output to exit (s), whole run (s), status, output."""
    start = time.monotonic_ns()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    output, last = b"", None
    while chunk := process.stdout.read1(65536):
        output += chunk
        last = time.monotonic_ns()
    errors = process.stderr.read()
    process.wait()
    end = time.monotonic_ns()
    text = output.decode(errors="replace")
    match = re.search(r"start_ns=(\d+)", text)
    enabled = (int(match.group(1)) - start) / 1e6 if match else None
    return enabled, (end - last) / 1e9 if last else None, (end - start) / 1e9, process.returncode, text, errors.decode(errors="replace")

def measure(name, command, count_pattern):
    samples = []
    for _ in range(runs):
        enabled, after, whole, status, text, errors = once(command)
        count = re.search(count_pattern, text, re.M)
        if status != 0 or enabled is None or count is None:
            print(f"{name}: failed (exit {status}, whole run {whole:.2f} s): {errors.strip().splitlines()[-1:] }", flush=True)
            return
        samples.append((enabled, after, whole, int(count.group(1))))
    enabled, after, whole, count = (statistics.median(s[i] for s in samples) for i in range(4))
    print(f"{name}: to-enabled median_ms={enabled:.2f} (min {min(s[0] for s in samples):.2f}); "
          f"last output to exit {after:.3f} s; whole run {whole:.2f} s; calls counted {count:.0f}", flush=True)

measure("dtrace", [dtrace, "-qn", "pid$target:libc.so.6::entry { @ = count(); } pid$target:libc.so.6:syscall:entry { exit(0); }",
                   "-c", f"{workload} now"], r"^\s+(\d+)\s*$")
if wildcard:
    enabled, after, whole, status, text, errors = once(["bpftrace", "-e", f"uprobe:{libc}:* /pid == cpid/ {{ @ = count(); }} uprobe:{libc}:syscall /pid == cpid/ {{ exit(); }}",
                                                        "-c", f"{workload} now"])
    print(f"bpftrace uprobe:{libc}:* (once): exit {status} after {whole:.2f} s; "
          f"{'; '.join(l.strip() for l in errors.splitlines() if 'attaching' in l or 'perf_event_open' in l)[:300]}", flush=True)
measure("bpftrace (dtrace's functions by name)", ["bpftrace", script, "-c", f"{workload} now"], r"^@: (\d+)")
PY
