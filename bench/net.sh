#!/bin/bash
# bench/net.sh: issue 14's network target, dtrace (release build) against bpftrace, same
# machine, same run, medians over RUNS runs: the added cost per TCP segment sent of
#   dtrace -qn 'tcp:::send { @[args[2]->ip_daddr] = count(); }'
# (raw tracepoint net:net_dev_queue, the IP protocol filtered in the prologue, the
# translator reading only the destination address) against bpftrace's nearest
# equivalent on the same tracepoint (tracepoint:net:net_dev_queue, the IP header from
# the sk_buff, protocol 6, ntop of the destination). The workload is loopback TCP
# ping-pong (workload/tcp-pingpong.c: each round two one-byte segments); the cost per
# segment is (traced - untraced) / segments counted, in the workload's CPU time (user +
# system: loopback delivery runs in the sender, so the probes' cost lands there; wall
# time on a shared machine mostly measures the other tenants).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
ROUNDS=${ROUNDS:-200000}
command -v bpftrace >/dev/null || { echo "bpftrace is not installed (apt-get install bpftrace)"; exit 1; }
# DTRACE=path uses that binary (the release build harness/xen-pv/run.sh made) instead.
if [ -z "${DTRACE:-}" ]; then
  swift build -c release --product dtrace >/dev/null
  DTRACE=$(swift build -c release --show-bin-path)/dtrace
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/pingpong" workload/tcp-pingpong.c
W="$work/pingpong"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
loop_ns() { grep -o 'cpu_ns=[0-9]*' | cut -d= -f2; }

echo "== added cost per TCP segment sent, $ROUNDS ping-pong rounds (median of $RUNS) =="
for i in $(seq "$RUNS"); do
  "$W" "$ROUNDS" | loop_ns >> "$work/base"
  "$DTRACE" -qn 'tcp:::send { @[args[2]->ip_daddr] = count(); }' -c "$W $ROUNDS" > "$work/d.out" 2>/dev/null
  loop_ns < "$work/d.out" >> "$work/dtrace"
  awk '$1 == "127.0.0.1" { print $2 }' "$work/d.out" >> "$work/dtrace-events"
  bpftrace -e 'tracepoint:net:net_dev_queue { $skb = (struct sk_buff *)args->skbaddr; $ip = (struct iphdr *)($skb->head + $skb->network_header); if ($ip->protocol == 6) { @[ntop($ip->daddr)] = count(); } }' \
    -c "$W $ROUNDS" > "$work/b.out" 2>/dev/null
  loop_ns < "$work/b.out" >> "$work/bpftrace"
  sed -n 's/^@\[127.0.0.1\]: //p' "$work/b.out" >> "$work/bpftrace-events"
done
base=$(median < "$work/base"); d=$(median < "$work/dtrace"); b=$(median < "$work/bpftrace")
de=$(median < "$work/dtrace-events"); be=$(median < "$work/bpftrace-events")
awk -v base="$base" -v d="$d" -v b="$b" -v de="$de" -v be="$be" -v n="$ROUNDS" 'BEGIN {
  printf "baseline %.0f CPU ns/round; segments counted: dtrace %d, bpftrace %d\n", base/n, de, be
  printf "dtrace +%.1f ns/segment; bpftrace +%.1f ns/segment; ratio dtrace/bpftrace %.2f (target <= 0.50)\n",
    (d-base)/de, (b-base)/be, ((d-base)/de)/((b-base)/be) }'
