#!/bin/bash
# bench/soak.sh: issue 15 item 9, "long runs hold". dtrace (kernel engine) traces RATE system
# calls a second for DURATION seconds with a printf per event and a keyed aggregation, its
# output to a file on disk, and this measures whether it holds:
#   memory   dtrace's VmRSS (/proc/PID/status) every INTERVAL seconds: at warm-up (WARMUP s
#            after dtrace started), at the end, the most, and the slope after warm-up (a least-
#            squares line through the samples from warm-up on); its threads and open files too
#   records  the calls the workload made (its own count) against the printf lines written and
#            the drops dtrace reported on stderr ("dtrace: N drops on CPU C" and the others):
#            lines + reported drops should equal calls. Each line carries the calling thread's
#            sequence number, so lost records are found where they are (gaps in a thread's
#            sequence, or its last calls missing; per minute of event time, beside how busy
#            the machine was then); the aggregation's END totals against the calls too
#   keeping up  dtrace's CPU time (utime + stime of /proc/PID/stat) over the run, per event,
#            per interval; the consumer's lag (now against the event time, walltimestamp, of
#            the last complete line in the file) at each sample; and how long dtrace took to
#            exit after the workload's last call (its records drained, END's printa); and
#            the whole machine's busy and steal time (/proc/stat) per interval: it may be shared
# The workload (workload/soak-load.c, built here) is THREADS threads (default 2) making
# getppid() calls, which nothing else here makes often, paced in millisecond batches against
# CLOCK_MONOTONIC, with arg0 the thread's sequence number and arg1 that modulo 16; the D
# program is
#   syscall::getppid:entry /pid == $target/ {
#       printf("%d %d %d\n", tid, arg0, walltimestamp / 1000000000); @calls[tid, arg1] = count(); }
#   tick-10s { @ticks = count(); printa("A %d %d %@d\n", @calls); }
#   END { printa("F %d %d %@d\n", @calls); printa("T %@d\n", @ticks); }
# run as dtrace -q -s soak.d -c "soak-load RATE DURATION THREADS RESULT", everything else at
# dtrace's defaults (DTRACE_OPTS adds options, e.g. "-x bufsize=16m").
#   bash bench/soak.sh                                   the short form: 10 minutes, 100,000/s
#   DURATION=3600 bash bench/soak.sh                     the hour form
#   DTRACE=/tmp/soak/dtrace DURATION=600 bash bench/soak.sh
# DTRACE=path uses that binary instead of building one (copy it first if Sources/ may be
# rebuilt meanwhile). The output file takes ~26 bytes an event (9.4 GB for the hour at
# 100,000/s); it is written under TMPDIR (mktemp) and removed at the end. KEEP=dir keeps
# dtrace's stderr, the workload's report, the samples and the output's check there.
# INTERVAL (10), WARMUP (60) and SHOW (print the samples every SHOW seconds; 60) tune the
# sampling. Exits non-zero only when the harness itself broke (dtrace did not start, the
# workload left no report): lost records and growth are findings, printed.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-600}
RATE=${RATE:-100000}
THREADS=${THREADS:-2}
INTERVAL=${INTERVAL:-10}
WARMUP=${WARMUP:-60}
SHOW=${SHOW:-60}
DTRACE_OPTS=${DTRACE_OPTS:-}
(( WARMUP < DURATION )) || WARMUP=$(( DURATION / 3 / INTERVAL * INTERVAL ))
(( WARMUP >= INTERVAL )) || WARMUP=$INTERVAL
command -v cc >/dev/null || { echo "cc is not installed"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "HARNESS FAILED: $*" >&2; exit 1; }
if [ -z "${DTRACE:-}" ]; then
  swift build -c release --product dtrace >/dev/null
  cp "$(swift build -c release --show-bin-path)/dtrace" "$work/dtrace"   # later rebuilds leave it be
  DTRACE=$work/dtrace
  BUILT="release build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo ' with Sources/ modified')"
fi
[ -x "$DTRACE" ] || fail "no dtrace at $DTRACE"
need=$(( RATE * DURATION * 30 / 1024 ))   # kB, ~26 bytes a line and some room
free=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
(( free > need )) || fail "the output needs ~$((need / 1024)) MB under $work, $((free / 1024)) MB free"

cc -O2 -pthread -o "$work/soak-load" workload/soak-load.c
cat > "$work/check.c" <<'EOF'
/* check OUTPUT TID...: reads dtrace's output: event lines "tid seq second" (each of the
 * workload's threads, TID..., should count 0, 1, 2, ... without gaps), printa lines
 * "A tid key count" (a block every 10 s), "F tid key count" (END) and "T ticks" (END).
 * Prints per thread: lines, the next sequence number expected (= calls seen through the last
 * line), gaps, records missing inside them, lines out of order or repeated, the event second
 * of the first and last gap, the END aggregation's total; then the totals; for each minute of
 * event time (walltimestamp, from the first line's second) its lines and the records missing
 * in the gaps that end in it; and the first 20 lines that are none of these (event lines of
 * another thread, anything else) with their line numbers. */
#include <stdio.h>
#include <stdlib.h>
struct thread { long tid; long long lines, next, gaps, missing, disorder, first_gap, last_gap, total; };
static struct thread threads[256];
static int count;
static long long first = -1, minutes, *minute_lines, *minute_missing;
static void minute(long long second, long long lines, long long missing) {
    if (first < 0) first = second;
    long long m = second < first ? 0 : (second - first) / 60;
    if (m >= minutes) {
        long long more = m + 64;
        minute_lines = realloc(minute_lines, more * sizeof *minute_lines);
        minute_missing = realloc(minute_missing, more * sizeof *minute_missing);
        if (!minute_lines || !minute_missing) { perror("check"); exit(1); }
        for (long long i = minutes; i < more; i++) minute_lines[i] = minute_missing[i] = 0;
        minutes = more;
    }
    minute_lines[m] += lines;
    minute_missing[m] += missing;
}
static struct thread *find(long tid) {
    for (int i = 0; i < count; i++) if (threads[i].tid == tid) return &threads[i];
    if (count == 256) { fprintf(stderr, "check: too many threads\n"); exit(1); }
    threads[count].tid = tid;
    return &threads[count++];
}
int main(int argc, char **argv) {
    FILE *file = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!file) { perror("check"); return 1; }
    for (int i = 2; i < argc; i++) find(atol(argv[i]));
    static char line[4096];
    long long lines = 0, periodic = 0, blocks = 0, ticks = -1, blank = 0, other = 0, stray = 0, number = 0, odd = 0;
    long long block[4096]; int in_block = 0;   /* the (tid, key) pairs of the current A block */
    while (fgets(line, sizeof line, file)) {
        long tid; long long a, b;
        number++;
        if (line[0] != 'A') in_block = 0;
        if (line[0] >= '0' && line[0] <= '9' && sscanf(line, "%ld %lld %lld", &tid, &a, &b) == 3) {
            struct thread *t = NULL;
            for (int i = 0; i < count; i++) if (threads[i].tid == tid) t = &threads[i];
            if (!t) {
                stray++;
                if (odd++ < 20) printf("odd=%lld %s", number, line);
                continue;
            }
            t->lines++; lines++;
            long long missing = 0;
            if (a == t->next) t->next++;
            else if (a > t->next) {
                if (!t->gaps++) t->first_gap = b;
                missing = a - t->next;
                t->last_gap = b; t->missing += missing; t->next = a + 1;
            } else t->disorder++;
            minute(b, 1, missing);
        } else if (line[0] == 'F' && sscanf(line, "F %ld %lld %lld", &tid, &a, &b) == 3) find(tid)->total += b;
        else if (line[0] == 'T' && sscanf(line, "T %lld", &a) == 1) ticks = a;
        else if (line[0] == 'A' && sscanf(line, "A %ld %lld %lld", &tid, &a, &b) == 3) {
            /* a block is one printa: it ends where a (tid, key) pair comes again (blocks
             * may follow one another with no event line between them) */
            long long pair = (long long)tid * 1000 + a;
            int again = !in_block;
            for (int i = 0; i < in_block && !again; i++) again = block[i] == pair;
            if (again) { blocks++; in_block = 0; }
            if (in_block < 4096) block[in_block++] = pair;
            periodic++;
        }
        else if (line[0] == '\n') blank++;
        else { other++; if (odd++ < 20) printf("odd=%lld %s", number, line); }
    }
    for (int i = 0; i < count; i++) {
        struct thread *t = &threads[i];
        printf("tid=%ld lines=%lld next=%lld gaps=%lld missing=%lld disorder=%lld first_gap=%lld last_gap=%lld total=%lld\n",
               t->tid, t->lines, t->next, t->gaps, t->missing, t->disorder, t->first_gap, t->last_gap, t->total);
    }
    printf("lines=%lld periodic=%lld blocks=%lld ticks=%lld blank=%lld other=%lld stray=%lld\n", lines, periodic, blocks, ticks, blank, other, stray);
    for (long long m = 0; m < minutes; m++)
        if (minute_lines[m] || minute_missing[m]) printf("minute=%lld lines=%lld missing=%lld\n", first + m * 60, minute_lines[m], minute_missing[m]);
    return 0;
}
EOF
cc -O2 -o "$work/check" "$work/check.c"
cat > "$work/soak.d" <<'EOF'
syscall::getppid:entry
/pid == $target/
{
	printf("%d %d %d\n", tid, arg0, walltimestamp / 1000000000);
	@calls[tid, arg1] = count();
}

tick-10s
{
	@ticks = count();
	printa("A %d %d %@d\n", @calls);
}

END
{
	printa("F %d %d %@d\n", @calls);
	printa("T %@d\n", @ticks);
}
EOF

ticks=$(getconf CLK_TCK)
echo "dtrace: ${BUILT:-$DTRACE (given)}; $(uname -r); $(nproc) CPUs; RATE=$RATE/s DURATION=${DURATION}s THREADS=$THREADS INTERVAL=${INTERVAL}s WARMUP=${WARMUP}s${DTRACE_OPTS:+ DTRACE_OPTS=$DTRACE_OPTS}"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M:%S UTC')"

start_ns=$(date +%s%N)
# shellcheck disable=SC2086
( "$DTRACE" -q $DTRACE_OPTS -s "$work/soak.d" -c "$work/soak-load $RATE $DURATION $THREADS $work/load" > "$work/out" 2> "$work/err" &
  echo $! > "$work/dtrace.pid"
  wait $! && status=0 || status=$?
  echo "$status $(date +%s%N)" > "$work/dtrace.exit" ) &
waiter=$!
for _ in $(seq 100); do [ -s "$work/dtrace.pid" ] && break; sleep 0.05; done
dpid=$(cat "$work/dtrace.pid")

# sample: seconds rss_kB cpu_ticks threads fds output_bytes lag_s busy% steal% (lag: now - the
# event second of the last complete event line, - when none is in the file's last 4 KB; busy
# and steal: the whole machine's over the interval, /proc/stat, as a share of all its CPUs)
machine() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat; }
read -r busy0 total0 steal0 < <(machine)
sample() {
  local t=$1 rss cpu th fds bytes last lag busy total steal pbusy psteal
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$dpid/status" 2>/dev/null) || return 0
  th=$(awk '/^Threads:/ { print $2 }' "/proc/$dpid/status" 2>/dev/null) || return 0
  cpu=$(sed 's/.*) //' "/proc/$dpid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || return 0
  fds=$(ls "/proc/$dpid/fd" 2>/dev/null | wc -l) || true
  [ -n "$rss" ] && [ -n "$cpu" ] || return 0
  bytes=$(stat -c %s "$work/out")
  last=$(tail -c 4096 "$work/out" | head -n -1 | awk '/^[0-9]+ [0-9]+ [0-9]+$/ { s = $3 } END { print s }')
  lag=-; [ -n "$last" ] && lag=$(( $(date +%s) - last ))
  read -r busy total steal < <(machine)
  pbusy=$(( (busy - busy0) * 100 / (total - total0 > 0 ? total - total0 : 1) ))
  psteal=$(( (steal - steal0) * 100 / (total - total0 > 0 ? total - total0 : 1) ))
  busy0=$busy total0=$total steal0=$steal
  echo "$t $rss $cpu $th $fds $bytes $lag $pbusy $psteal" >> "$work/samples"
  if (( t % SHOW == 0 || t == INTERVAL )); then
    printf '  %5d s  RSS %7d kB  CPU %7.1f s  threads %3d  fds %4d  output %8.1f MB  lag %s s  machine busy %3d%% (steal %d%%)\n' \
      "$t" "$rss" "$(awk -v c="$cpu" -v k="$ticks" 'BEGIN { print c / k }')" "$th" "$fds" \
      "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$lag" "$pbusy" "$psteal"
  fi
}
echo "samples every ${INTERVAL}s (every ${SHOW}s shown; seconds since dtrace started):"
next=$INTERVAL
while [ ! -e "$work/dtrace.exit" ]; do
  t=$(( ($(date +%s%N) - start_ns) / 1000000000 ))
  if (( t >= next )); then sample "$next"; next=$(( next + INTERVAL )); fi
  # dtrace's CPU time, kept up to date to the last poll before it exits
  c=$(sed 's/.*) //' "/proc/$dpid/stat" 2>/dev/null | awk '{ print $12 + $13 }') && [ -n "$c" ] && echo "$c" > "$work/cpu"
  sleep 0.2
done
wait "$waiter" || true
read -r dstatus exit_ns < "$work/dtrace.exit"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
[ -s "$work/load" ] || fail "the workload left no report (dtrace exit status $dstatus); stderr: $(head -5 "$work/err")"
[ -s "$work/samples" ] || fail "no samples of dtrace (exit status $dstatus); stderr: $(head -5 "$work/err")"

# The workload's report, dtrace's output checked, its stderr's drop messages.
"$work/check" "$work/out" $(grep -o 'tid=[0-9]*' "$work/load" | cut -d= -f2) > "$work/checked"
# The lines around each odd line, while the output is still here.
{ grep '^odd=' "$work/checked" || true; } | cut -d= -f2 | cut -d' ' -f1 | while read -r n; do
  echo "line $n and the 3 either side:"; sed -n "$(( n > 3 ? n - 3 : 1 )),$(( n + 3 ))p;$(( n + 3 ))q" "$work/out" | sed 's/^/    /'
done > "$work/odd"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$work"/{err,samples,load,checked,odd,soak.d} "$KEEP"/; fi
calls=$(grep -o '^calls=[0-9]*' "$work/load" | cut -d= -f2)
elapsed_ns=$(grep -o 'elapsed_ns=[0-9]*' "$work/load" | cut -d= -f2)
end_ns=$(grep -o 'end_ns=[0-9]*' "$work/load" | cut -d= -f2)
lines=$(grep -o '^lines=[0-9]*' "$work/checked" | cut -d= -f2)
periodic=$(grep -o 'periodic=[0-9]*' "$work/checked" | cut -d= -f2)
blocks=$(grep -o 'blocks=[0-9]*' "$work/checked" | cut -d= -f2)
tick_count=$(grep -o 'ticks=[0-9-]*' "$work/checked" | cut -d= -f2)
stray=$(grep -o 'stray=[0-9]*' "$work/checked" | cut -d= -f2)
other=$(grep -o 'other=[0-9]*' "$work/checked" | cut -d= -f2)
sum_drops() { { grep -E "$1" "$work/err" || true; } | awk '{ n += $2 } END { print n + 0 }'; }
record_drops=$(sum_drops '^dtrace: [0-9]+ drops? on CPU [0-9]+$')
dynamic_drops=$(sum_drops '^dtrace: [0-9]+ dynamic variable drops?$')
aggregation_drops=$(sum_drops '^dtrace: [0-9]+ aggregation drops?$')
drop_messages=$({ grep -c 'drop' "$work/err" || true; })
other_stderr=$({ grep -vc 'drop' "$work/err" || true; })
agg_total=$(awk -F'total=' '{ n += $2 } END { print n + 0 }' "$work/checked")

echo
echo "per thread (the workload's calls; dtrace's lines; records missing inside the sequence, in how many gaps (walltimestamp seconds of the first and last); missing after the last line; END aggregation):"
tail_missing=0
while read -r entry; do
  tid=${entry#*tid=}; tid=${tid%% *}
  made=$(echo "$entry" | grep -o 'calls=[0-9]*' | cut -d= -f2)
  behind=$(echo "$entry" | grep -o 'behind=[0-9]*' | cut -d= -f2)
  row=$(grep "^tid=$tid " "$work/checked" || echo "tid=$tid lines=0 next=0 gaps=0 missing=0 disorder=0 first_gap=0 last_gap=0 total=0")
  get() { echo "$row" | grep -o " $1=[0-9-]*" | cut -d= -f2; }
  printf '  tid %s: calls %d (at most %d behind schedule); lines %d; missing inside %d in %d gaps%s; missing at the end %d; out of order %d; aggregation %d\n' \
    "$tid" "$made" "$behind" "$(get lines)" "$(get missing)" "$(get gaps)" "$( (( $(get gaps) == 0 )) || echo " (event seconds $(get first_gap)..$(get last_gap))")" \
    "$(( made - $(get next) ))" "$(get disorder)" "$(get total)"
  tail_missing=$(( tail_missing + made - $(get next) ))
done < <(grep '^thread=' "$work/load")
# The minutes (of event time) with records missing, and how busy the machine was then (the
# samples whose interval ended in that minute).
start_s=$(( start_ns / 1000000000 ))
awk -v s="$start_s" -v i="$INTERVAL" '
  FNR == NR { busy[$1] = $8; next }
  /^minute=/ { split($1, m, "="); split($2, l, "="); split($3, x, "=")
    from = m[2] - s; n = 0; b = 0
    for (t in busy) if (t - i >= from && t <= from + 60) { n++; b += busy[t] }
    all++; if (n) { ab += b / n; an++ }
    if (x[2] > 0) { lossy++; lost += x[2]; if (n) { lb += b / n; ln++ }
      rows = rows sprintf("  %5d-%5d s: %9d lines, %9d missing (machine busy %3.0f%%)\n", from, from + 60, l[2], x[2], n ? b / n : -1) } }
  END { printf "minutes (of event time) with records missing: %d of %d", lossy + 0, all + 0
        if (ln) printf "; machine busy in them %.0f%%", lb / ln
        if (an - ln > 0) printf ", in the others %.0f%%", (ab - lb) / (an - ln)
        printf "\n%s", rows }' "$work/samples" "$work/checked" | head -40
if [ -s "$work/odd" ]; then
  echo "lines that are neither the workload's events nor printa's (the first 20):"
  sed 's/^/  /' "$work/odd"
fi
if (( drop_messages + other_stderr > 0 )); then
  echo "dtrace's stderr ($drop_messages drop messages, $other_stderr other lines; the first 10):"
  head -10 "$work/err" | sed 's/^/  /'
fi

# Figures from the samples: RSS at warm-up, at the end, the most, the slope after warm-up.
read -r warm_t warm_rss end_t end_rss max_rss slope max_lag max_fds min_fds max_th min_th < <(awk -v w="$WARMUP" '
  { t = $1; r = $2 }
  r > max { max = r }
  t >= w && !seen { seen = 1; wt = t; wr = r }
  t >= w { n++; sx += t; sy += r; sxx += t * t; sxy += t * r
           if ($5 > maxf) maxf = $5; if (minf == "" || $5 < minf) minf = $5
           if ($4 > maxth) maxth = $4; if (minth == "" || $4 < minth) minth = $4
           if ($7 != "-" && $7 > lag) lag = $7 }
  { et = t; er = r }
  END { slope = (n > 1 && n * sxx - sx * sx) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60 : 0
        print wt + 0, wr + 0, et, er, max, slope, lag + 0, maxf + 0, minf + 0, maxth + 0, minth + 0 }' "$work/samples")
read -r busy_mean busy_max steal_max < <(awk '{ n++; s += $8; if ($8 > m) m = $8; if ($9 > st) st = $9 } END { printf "%.0f %d %d\n", n ? s / n : 0, m, st }' "$work/samples")
cpu_ticks=$(cat "$work/cpu" 2>/dev/null || awk 'END { print $3 }' "$work/samples")
wall=$(awk -v a="$start_ns" -v b="$exit_ns" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
cpu_s=$(awk -v c="$cpu_ticks" -v k="$ticks" 'BEGIN { printf "%.1f", c / k }')
# CPU over the intervals after warm-up: the busiest interval, as a share of one CPU
busiest=$(awk -v w="$WARMUP" -v k="$ticks" -v i="$INTERVAL" 'NR > 1 && $1 > w { p = ($3 - prev) / k / i * 100; if (p > m) m = p } { prev = $3 } END { printf "%.0f", m }' "$work/samples")
exit_after=$(awk -v a="$end_ns" -v b="$exit_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
lost=$(( calls - lines ))
seq_missing=$(awk '/^tid=/ { split($5, m, "="); n += m[2] } END { print n + 0 }' "$work/checked")
# records the tick clause's printa lost: ticks that fired (END's @ticks) - blocks written
# (no T line: @ticks was empty if END's F lines are there, else END's record was lost too)
(( tick_count >= 0 )) || { (( agg_total > 0 )) && tick_count=0; }
(( tick_count >= 0 )) && printa_lost=$(( tick_count - blocks )) || printa_lost=0
unaccounted=$(( calls - lines + printa_lost - record_drops ))
growth=$(( end_rss - warm_rss ))
flat=$(awk -v g="$growth" -v w="$warm_rss" 'BEGIN { print (g < w * 0.02 && g < 4096) ? "yes" : "no" }')

echo
echo "== soak: $RATE events/s for ${DURATION}s, printf + @calls[tid, arg1] (kernel engine) =="
printf '%-48s %s\n' \
  "events made (workload)" "$calls in $(awk -v e="$elapsed_ns" 'BEGIN { printf "%.1f", e / 1e9 }') s ($(awk -v c="$calls" -v e="$elapsed_ns" 'BEGIN { printf "%.0f", c / (e / 1e9) }')/s)" \
  "printf lines written" "$lines" \
  "records lost (events - lines)" "$lost" \
  "record drops reported (drops on CPU N)" "$record_drops" \
  "of them missing from the threads' sequences" "$(( seq_missing + tail_missing ))" \
  "printa records lost (ticks - blocks written)" "$printa_lost ($tick_count ticks, $blocks blocks of $periodic lines)" \
  "lost but not reported (lost + printa lost - drops)" "$unaccounted$( (( unaccounted == 0 )) && echo ' (every lost record reported)' || echo ' (DOES NOT ADD UP)')" \
  "event lines of no workload thread; other lines" "$stray; $other$( (( stray + other == 0 )) || echo ' (shown above)')" \
  "other drops reported (dynamic, aggregation)" "$dynamic_drops, $aggregation_drops" \
  "END aggregation total" "$agg_total ($( (( agg_total == calls )) && echo 'every event counted' || echo "$(( calls - agg_total )) short"))" \
  "RSS at warm-up (${warm_t} s) / end (${end_t} s)" "$warm_rss kB / $end_rss kB (growth $growth kB; flat, i.e. under 2% and 4 MB: $flat)" \
  "RSS most / slope after warm-up" "$max_rss kB / $(printf '%.1f' "$slope") kB/min" \
  "threads, open files after warm-up" "$min_th-$max_th, $min_fds-$max_fds" \
  "dtrace CPU (user+sys)" "$cpu_s s of $wall s wall ($(awk -v c="$cpu_s" -v w="$wall" 'BEGIN { printf "%.0f", c / w * 100 }')% of a CPU; $(awk -v c="$cpu_s" -v n="$lines" 'BEGIN { printf "%.2f", n ? c / n * 1e6 : 0 }') us a line; busiest ${INTERVAL}s after warm-up ${busiest}%)" \
  "consumer lag after warm-up (most)" "$max_lag s (now - the last line's event second, at each sample)" \
  "machine busy (all CPUs; dtrace and workload too)" "mean ${busy_mean}%, busiest ${INTERVAL}s ${busy_max}%, most steal ${steal_max}%" \
  "dtrace exit after the workload's last call" "$exit_after s (exit status $dstatus)" \
  "other stderr lines" "$other_stderr"
