#!/bin/bash
# bench/tracepoint-cost.sh: the in-kernel cost per event two tracers add to one kernel
# tracepoint, measured by bracketing (bench/tracepoint-bracket.c): the kernel calls a
# tracepoint's probe functions in registration order, so with bracket program A attached,
# then the tool, then bracket program B, B's clock minus A's is what the tool's probe costs
# per firing (for bpftrace's tracepoint: the perf record it builds and its BPF program; for
# dtrace: its raw tracepoint program), plus the dispatch from A to B that the baseline
# (A and B with nothing in between) measures alone. Unlike the wall clock, nothing outside
# the tracepoint's probes counts; unlike bpf_stats, the perf record's building does.
#
# Each run, interleaved: base (A, B), then for each tool: A, the tool (started, waited for
# until its BPF programs are loaded and its descriptors have not changed for SETTLE s), B,
# the workload, then the bracket's figures, and the tool stopped (SIGINT).
# Reported: per run and medians over RUNS runs, the bracket's mean and median ns per event
# (over all firings of the tracepoint while the workload ran: a few are other devices' or
# connections'), each tool's added ns (tool - base of the same run, median of those), and
# the ratio of the first tool's to the second's.
#
#   RUNS=7 N=20000 bash bench/tracepoint-cost.sh            io: block_rq_issue (default)
#   CASE=tcp RUNS=7 ROUNDS=100000 bash bench/tracepoint-cost.sh   tcp: net_dev_queue
#   VERIFY=1 ...   adds two cases checking the ordering assumption: bpftrace attached
#                  before A, and after B (both should cost about the base)
# Settings (environment):
#   DTRACE=path     the dtrace binary (default: swift build -c release, then that one)
#   TP=name         the tracepoint (raw name, no category; set by CASE)
#   WORKLOAD='cmd'  the workload command (set by CASE; run with bash -c)
#   TOOLS='a b'     the tools' names, each with its command in CMD_<name> (run with
#                   bash -c 'exec ...'); defaults: dtrace and bpftrace, per CASE
#   PIN=CPU         (default 1; PIN= for none) the workload and tools run under taskset
#   SETTLE=s        (default 1) how long a tool's descriptors must stay unchanged
#   KEEP=1          keeps the work directory (the tools' outputs) and says where
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
CASE=${CASE:-io}
PIN=${PIN-1}
SETTLE=${SETTLE:-1}
VERIFY=${VERIFY:-}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
if [ -z "${DTRACE:-}" ]; then
  swift build -c release --product dtrace >/dev/null
  DTRACE=$(swift build -c release --show-bin-path)/dtrace
fi

work=$(mktemp -d /var/tmp/bench-tpcost.XXXXXX)
loop=
tool_pid=
br_pid= br_in= br_out=
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
  set +e
  [ -n "$br_pid" ] && kill "$br_pid" 2>/dev/null
  [ -n "$tool_pid" ] && kill -INT "$tool_pid" 2>/dev/null && sleep 1 && kill -KILL "$tool_pid" 2>/dev/null
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  echo "$stats_before" > /proc/sys/kernel/bpf_stats_enabled
  if [ -n "${KEEP:-}" ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# bpf_stats would add two clock reads around every BPF program, the tools' included.
echo 0 > /proc/sys/kernel/bpf_stats_enabled

cc -O2 -Wall -o "$work/bracket" bench/tracepoint-bracket.c
case "$CASE" in
  io)
    N=${N:-20000}
    TP=${TP:-block_rq_issue}
    cc -O2 -o "$work/workload" workload/workload.c
    truncate -s $(( (N * 4096 / 1048576 + 16) ))M "$work/backing"
    loop=$(losetup --find --show "$work/backing")
    # Fill the backing file's page cache once, so every run's I/O is the same.
    "$work/workload" directio "$loop" 4096 "$N" >/dev/null
    WORKLOAD=${WORKLOAD:-"$work/workload directio $loop 4096 $N"}
    CMD_dtrace=${CMD_dtrace:-"$DTRACE -qn 'io:::start { @[args[1]->dev_statname] = count(); }'"}
    CMD_bpftrace=${CMD_bpftrace:-"bpftrace -e 'tracepoint:block:block_rq_issue { @[args->dev] = count(); }'"}
    what="$N writes + $N reads of 4 KiB with O_DIRECT on $(basename "$loop")"
    ;;
  tcp)
    ROUNDS=${ROUNDS:-100000}
    TP=${TP:-net_dev_queue}
    cc -O2 -o "$work/pingpong" workload/tcp-pingpong.c
    WORKLOAD=${WORKLOAD:-"$work/pingpong $ROUNDS"}
    CMD_dtrace=${CMD_dtrace:-"$DTRACE -qn 'tcp:::send { @[args[2]->ip_daddr] = count(); }'"}
    CMD_bpftrace=${CMD_bpftrace:-"bpftrace -e 'tracepoint:net:net_dev_queue { \$skb = (struct sk_buff *)args->skbaddr; \$ip = (struct iphdr *)(\$skb->head + \$skb->network_header); if (\$ip->protocol == 6) { @[ntop(\$ip->daddr)] = count(); } }'"}
    what="$ROUNDS loopback TCP ping-pong rounds"
    ;;
  *)
    [ -n "${TP:-}" ] && [ -n "${WORKLOAD:-}" ] || { echo "CASE=$CASE: set TP and WORKLOAD (and TOOLS, CMD_<tool>)"; exit 1; }
    what=$WORKLOAD
    ;;
esac
TOOLS=${TOOLS:-"dtrace bpftrace"}
read -r -a tools <<< "$TOOLS"

pinned() { if [ -n "$PIN" ]; then taskset -c "$PIN" "$@"; else "$@"; fi; }

# tool_start NAME OUT: starts CMD_<NAME> in the background (its pid in tool_pid) and waits
# until it has a BPF program loaded and its descriptors have not changed for SETTLE s.
tool_start() {
  local cmd="CMD_$1" out=$2 fds last="" stable=0 deadline=$((SECONDS + 60))
  # A non-interactive shell starts background commands with SIGINT ignored (dtrace keeps
  # it so): env restores its default. taskset, env and bash exec: $! is the tool's pid.
  if [ -n "$PIN" ]; then
    taskset -c "$PIN" env --default-signal=INT bash -c "exec ${!cmd}" > "$out" 2>&1 &
  else
    env --default-signal=INT bash -c "exec ${!cmd}" > "$out" 2>&1 &
  fi
  tool_pid=$!
  while :; do
    kill -0 "$tool_pid" 2>/dev/null || { echo "$1 exited before attaching:"; cat "$out"; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "$1 did not settle in 60 s"; exit 1; }
    # (ls fails when a descriptor closes while it lists them: the next poll sees that)
    fds=$( (ls -l /proc/"$tool_pid"/fd 2>/dev/null || true) | awk '{ print $(NF-2), $NF }' | tr '\n' ' ')
    if [[ "$fds" == *bpf-prog* ]] && [ "$fds" = "$last" ]; then
      stable=$((stable + 1))
      [ "$stable" -ge $((SETTLE * 10)) ] && return 0
    else
      stable=0
    fi
    last=$fds
    sleep 0.1
  done
}
tool_stop() {
  [ -n "$tool_pid" ] || return 0
  kill -INT "$tool_pid" 2>/dev/null || true
  local i
  for i in $(seq 50); do kill -0 "$tool_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$tool_pid" 2>/dev/null || true
  wait "$tool_pid" 2>/dev/null || true
  tool_pid=
}

# The bracket as a coprocess (its descriptors duplicated: bash closes a coprocess's own
# when it exits): say sends it a line; expect LINE waits for its next line to be LINE.
bracket_start() {
  coproc BR { exec "$work/bracket" "$TP"; }
  br_pid=$BR_PID
  exec {br_in}<&"${BR[0]}" {br_out}>&"${BR[1]}"
}
expect() {
  local line
  read -r -t 60 -u "$br_in" line || { echo "bracket: no '$1' (tracepoint $TP?)"; exit 1; }
  [ "$line" = "$1" ] || { echo "bracket: '$line', expected '$1'"; exit 1; }
}
say() { echo >&"$br_out"; }
bracket_finish() { # prints the figures line
  local line
  say
  read -r -t 60 -u "$br_in" line || { echo "bracket: no figures"; exit 1; }
  wait "$br_pid" 2>/dev/null || true
  br_pid=
  exec {br_in}<&- {br_out}>&-
  echo "$line"
}

# measure CASE: one measurement, its figures line appended to $work/CASE.
# CASE: base | TOOL (between A and B) | TOOL:before (before A) | TOOL:after (after B)
measure() {
  local c=$1 tool=${1%%:*} where=between
  [[ "$c" == *:* ]] && where=${c#*:}
  [ "$c" = base ] && where=none
  [ "$where" = before ] && tool_start "$tool" "$work/$c.out"
  bracket_start
  expect "A attached"
  [ "$where" = between ] && tool_start "$tool" "$work/$c.out"
  say; expect "B attached"
  [ "$where" = after ] && tool_start "$tool" "$work/$c.out"
  say; expect "started"
  pinned bash -c "$WORKLOAD" > "$work/workload.out"
  bracket_finish >> "$work/$c"
  tool_stop
}

cases=(base "${tools[@]}")
[ -n "$VERIFY" ] && cases+=("${tools[-1]}:before" "${tools[-1]}:after")
fig() { awk -v k="$1" -v r="$2" 'NR == r { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$work/$3"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== in-kernel cost per firing of tracepoint $TP: $what (RUNS=$RUNS, PIN=${PIN:-none}) =="
for t in "${tools[@]}"; do v="CMD_$t"; echo "  $t: ${!v}"; done
for r in $(seq "$RUNS"); do
  line="run $r:"
  for c in "${cases[@]}"; do
    measure "$c"
    line+=$(printf ' %s %s/%s ns (n=%s, over=%s)' "$c" "$(fig mean_ns "$r" "$c")" "$(fig median_ns "$r" "$c")" "$(fig events "$r" "$c")" "$(fig over "$r" "$c")")
  done
  echo "$line   [mean/median]"
done

# Per run added cost (tool - base), then medians.
added() { # STAT CASE: per run, CASE's STAT minus base's
  local r
  for r in $(seq "$RUNS"); do awk -v a="$(fig "$1" "$r" "$2")" -v b="$(fig "$1" "$r" base)" 'BEGIN { print a - b }'; done
}
for stat in mean_ns median_ns; do
  echo "-- ${stat%_ns} ns per event --"
  printf '  base: median %s (runs: %s)\n' "$(for r in $(seq "$RUNS"); do fig "$stat" "$r" base; done | median)" "$(for r in $(seq "$RUNS"); do fig "$stat" "$r" base; done | tr '\n' ' ')"
  for c in "${cases[@]:1}"; do
    printf '  %s added: median %s (runs: %s)\n' "$c" "$(added "$stat" "$c" | median)" "$(added "$stat" "$c" | tr '\n' ' ')"
  done
  if [ "${#tools[@]}" -ge 2 ]; then
    t1=${tools[0]} t2=${tools[1]}
    ratios=$(paste <(added "$stat" "$t1") <(added "$stat" "$t2") | awk '{ printf "%.2f\n", $2 ? $1 / $2 : 0 }')
    awk -v a="$(added "$stat" "$t1" | median)" -v b="$(added "$stat" "$t2" | median)" -v rs="$(echo "$ratios" | tr '\n' ' ')" -v t1="$t1" -v t2="$t2" \
      'BEGIN { printf "  ratio %s/%s: %.2f (of the medians; per run: %s)\n", t1, t2, b ? a / b : 0, rs }'
  fi
done
