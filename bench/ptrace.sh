#!/bin/bash
# bench/ptrace.sh: issue 13's targets for the ptrace engine (-x engine=ptrace), against gdb,
# strace, the kernel engine and bpftrace, same machine, same run, medians over RUNS runs (the
# tools and the untraced loop interleaved). Every tool and its workload run under
# taskset -c PIN (one CPU: each stop is two context switches on that CPU).
#   floor    what a stop costs this machine at all: a minimal C tracer (built here) and a child
#            looping N times over int3 (resumed with PTRACE_CONT; with GETREGS and SETREGS; with
#            those and an 8-byte process_vm_writev, i.e. an emulated push), over a getpid() its
#            seccomp filter sends to the tracer (RET_TRACE; GETREGS, CONT) and over getpid()
#            under PTRACE_SYSCALL (two stops a call). FLOOR_CALLS iterations; the child's loop_ns.
#   pid      cost per hit of `@ = count()` on sum8's entry (endbr64, then push %rbp), plain_sum's
#            entry (push %rbp) and sum8's return over workload's `calls` loop: (traced loop -
#            untraced loop) / CALLS, for the ptrace engine, the kernel engine and bpftrace
#            (uprobes). CALLS defaults to 1,000,001: the workload prints calls_ns only above
#            1,000,000, so a ptrace-engine run lasts ~20 s (a return ~40 s) here.
#   gdb      cost per hit by wall time, the same method for both: (wall of `calls N` - wall of
#            `calls 1`) / (N - 1), per run, then the median: dtrace -x engine=ptrace on
#            sum8:entry with N = WALL_CALLS; gdb with `break sum8` whose commands are `silent`
#            and `continue`, N = GDB_CALLS. gdb's `info breakpoints` must say it was hit N times.
#   syscall  cost per getpid() of workload's timed-getpid loop (its loop_ns), SYS_CALLS calls:
#            the ptrace engine's syscall::getpid:entry with -c (seccomp filter, one stop a call);
#            with -p (PTRACE_SYSCALL: the workload waits on a fifo under sh until dtrace is its
#            tracer, then execs the loop); `strace -c -f`; `strace -c -f --seccomp-bpf -e
#            trace=getpid`. FREE_CALLS calls: the ptrace engine probing syscall::close:entry
#            only (getpid passes its filter) against the untraced loop, and the kernel engine's
#            syscall::getpid:entry /pid == $target/ for reference (its syscall probes see every
#            process; the ptrace engine's only the target). Every count is checked.
#   startup  wall time (STARTUP_RUNS runs) of the untraced workload and of dtrace (ptrace and
#            kernel engines) with one probe, a syscall probe, and every libc function's entry
#            (pid$target:libc.so.6::entry, ~2,170 probes) on `workload calls 1`; for the
#            `workload now` runs also launch to main (its start_ns: probes in place and the
#            process released).
#   rbreak   once: gdb stopping at main, then `rbreak ^` (a breakpoint on every function of
#            the workload, ld.so and libc), to the last breakpoint set.
#   RUNS=5 bash bench/ptrace.sh
# PIN=CPU (default 1; PIN= for none: unpinned, a stop costs 5x more on the 2-CPU guest),
# CASES="floor pid gdb syscall startup rbreak" (the default) chooses the measurements.
# DTRACE=path uses that binary instead of building (copy it first if Sources/ may be rebuilt).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CALLS=${CALLS:-1000001}
WALL_CALLS=${WALL_CALLS:-100000}
GDB_CALLS=${GDB_CALLS:-10000}
SYS_CALLS=${SYS_CALLS:-100000}
FREE_CALLS=${FREE_CALLS:-2000000}
FLOOR_CALLS=${FLOOR_CALLS:-100000}
STARTUP_RUNS=${STARTUP_RUNS:-11}
PIN=${PIN-1}
CASES=" ${CASES:-floor pid gdb syscall startup rbreak} "
want() { [[ "$CASES" == *" $1 "* ]]; }
for tool in gdb strace bpftrace cc python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed"; exit 1; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -z "${DTRACE:-}" ]; then
  swift build -c release --product dtrace >/dev/null
  cp "$(swift build -c release --show-bin-path)/dtrace" "$work/dtrace"   # later rebuilds leave it be
  DTRACE=$work/dtrace
  BUILT="release build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo ' with Sources/ modified')"
fi
cc -O2 -fcf-protection=full -fno-omit-frame-pointer -o "$work/workload" workload/workload.c
W="$work/workload"
echo "dtrace: ${BUILT:-$DTRACE (given)}; $(uname -r); $(gdb --version | head -1); $(strace -V | head -1); $(bpftrace --version); pinned to CPU ${PIN:-none}; RUNS=$RUNS; load $(cut -d' ' -f1-3 /proc/loadavg)"
trap 'echo "load at the end: $(cut -d" " -f1-3 /proc/loadavg)"; rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$1=[0-9]*" | cut -d= -f2; }
run() { if [ -n "${PIN:-}" ]; then taskset -c "$PIN" "$@"; else "$@"; fi; }
now() { date +%s%N; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# The count a `@ = count()` run printed (dtrace: a line holding only the number; bpftrace: `@: N`).
dcount() { awk '/^ *[0-9]+ *$/ { n = $1 } END { print n + 0 }' "$1"; }
bcount() { awk '/^@: / { n = $2 } END { print n + 0 }' "$1"; }
list() { sort -g "$1" | tr '\n' ' '; }

if want floor; then
  cat > "$work/floor.c" <<'EOF'
/* The floor of a ptrace stop: the child loops N times over int3 or getpid() and prints the
 * loop's ns; the parent resumes every stop and counts them (printed as stops=). */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: floor int3|int3-regs|int3-emulate|seccomp|syscall N\n"); return 2; }
    const char *mode = argv[1]; long n = atol(argv[2]);
    int breakpoint = strncmp(mode, "int3", 4) == 0, seccomp = strcmp(mode, "seccomp") == 0, syscalls = strcmp(mode, "syscall") == 0;
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        if (seccomp) {
            struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog program = { sizeof code / sizeof code[0], code };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program)) _exit(3);
        }
        long long start = now_ns();
        if (breakpoint) for (long i = 0; i < n; i++) __asm__ volatile ("int3" ::: "memory");
        else for (long i = 0; i < n; i++) syscall(SYS_getpid);
        printf("loop_ns=%lld\n", now_ns() - start);
        fflush(stdout);
        _exit(0);
    }
    int status; long stops = 0;
    waitpid(child, &status, 0);
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
    int resume = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;
    ptrace(resume, child, 0, 0);
    for (;;) {
        if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status)) break;
        int stop = (breakpoint && WSTOPSIG(status) == SIGTRAP) || (seccomp && status >> 8 == (SIGTRAP | PTRACE_EVENT_SECCOMP << 8))
            || (syscalls && WSTOPSIG(status) == (SIGTRAP | 0x80));
        if (!stop) { ptrace(resume, child, 0, WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status)); continue; }
        stops++;
        if (strcmp(mode, "int3") != 0) {
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, child, 0, &regs);
            if (strcmp(mode, "int3-emulate") == 0) {
                unsigned long long value = regs.rbp;
                struct iovec local = { &value, 8 }, remote = { (void *)(regs.rsp - 256), 8 };
                if (process_vm_writev(child, &local, 1, &remote, 1, 0) != 8) { perror("process_vm_writev"); return 1; }
            }
            if (breakpoint) ptrace(PTRACE_SETREGS, child, 0, &regs);
        }
        ptrace(resume, child, 0, 0);
    }
    printf("stops=%ld\n", stops);
    return 0;
}
EOF
  cc -O2 -o "$work/floor" "$work/floor.c"
  echo "== floor: one ptrace stop on this machine, $FLOOR_CALLS iterations (median of $RUNS) =="
  printf '%-34s %12s %10s\n' "tracer does per stop" "us/iteration" "stops"
  for mode in int3 int3-regs int3-emulate seccomp syscall; do
    rm -f "$work/times"
    for i in $(seq "$RUNS"); do
      run "$work/floor" "$mode" "$FLOOR_CALLS" > "$work/out"
      stops=$(field stops < "$work/out")
      case $mode in syscall) [ "$stops" -ge $((2 * FLOOR_CALLS)) ] ;; *) [ "$stops" -eq "$FLOOR_CALLS" ] ;; esac || fail "floor $mode: $(cat "$work/out")"
      field loop_ns < "$work/out" | awk -v n="$FLOOR_CALLS" '{ print $1 / n / 1000 }' >> "$work/times"
    done
    case $mode in
      int3) what="int3: wait4, CONT" ;; int3-regs) what="int3: wait4, GETREGS, SETREGS, CONT" ;;
      int3-emulate) what="int3: the same + process_vm_writev" ;; seccomp) what="seccomp RET_TRACE: wait4, GETREGS, CONT" ;;
      syscall) what="PTRACE_SYSCALL: 2 x (wait4, GETREGS, SYSCALL)" ;;
    esac
    printf '%-34s %12.2f %10s   runs: %s\n' "$what" "$(median < "$work/times")" "$stops" "$(list "$work/times")"
  done
fi

# per_hit NAME 'D PROGRAM' 'BPFTRACE PROGRAM': ns per hit of the ptrace and kernel engines and bpftrace.
per_hit() {
  local name=$1 d=$2 b=$3 i tool
  rm -f "$work"/{base,ptrace,kernel,bpftrace,counts}
  for i in $(seq "$RUNS"); do
    run "$W" calls "$CALLS" | field calls_ns >> "$work/base"
    for tool in ptrace kernel bpftrace; do
      if [ $tool = bpftrace ]; then
        run bpftrace -e "$b" -c "$W calls $CALLS" > "$work/out" 2> "$work/err" || fail "$name bpftrace: $(tail -3 "$work/err")"
        echo "$tool $(bcount "$work/out")" >> "$work/counts"
      else
        run "$DTRACE" -x engine=$tool -qn "$d" -c "$W calls $CALLS" > "$work/out" 2> "$work/err" || fail "$name $tool: $(tail -3 "$work/err")"
        echo "$tool $(dcount "$work/out")" >> "$work/counts"
      fi
      field calls_ns < "$work/out" >> "$work/$tool"
    done
  done
  # Every run must have counted every call.
  awk -v n="$CALLS" '$2 != n { print "  a run did not count every hit: " $0; bad = 1 } END { exit bad }' "$work/counts" || fail "$name"
  [ "$(wc -l < "$work/counts")" -eq $((3 * RUNS)) ] && [ "$(cat "$work"/{ptrace,kernel,bpftrace} | wc -l)" -eq $((3 * RUNS)) ] || fail "$name: missing calls_ns"
  awk -v name="$name" -v n="$CALLS" -v base="$(median < "$work/base")" -v p="$(median < "$work/ptrace")" \
      -v k="$(median < "$work/kernel")" -v b="$(median < "$work/bpftrace")" 'BEGIN {
    printf "%s: untraced %.1f ns/iteration; ptrace engine %.2f us/hit; kernel engine %.2f us/hit; bpftrace %.2f us/hit; ptrace/kernel %.1fx\n",
      name, base / n, (p - base) / n / 1000, (k - base) / n / 1000, (b - base) / n / 1000, (p - base) / (k - base) }'
  for tool in base ptrace kernel bpftrace; do echo "  runs (loop ms) $tool: $(awk '{ printf "%.0f\n", $1 / 1e6 }' "$work/$tool" | sort -n | tr '\n' ' ')"; done
  echo "  counts: $(sort "$work/counts" | uniq -c | awk '{ printf "%s %s x%s; ", $2, $3, $1 }')"
}

if want pid; then
  echo "== pid probes: cost per hit, $CALLS calls (median of $RUNS; loop method) =="
  per_hit "sum8 entry (endbr64: dtrace probes +4, bpftrace +0)" 'pid$target:a.out:sum8:entry { @ = count(); }' "uprobe:$W:sum8 { @ = count(); }"
  per_hit "plain_sum entry (push %rbp)" 'pid$target:a.out:plain_sum:entry { @ = count(); }' "uprobe:$W:plain_sum { @ = count(); }"
  per_hit "sum8 return" 'pid$target:a.out:sum8:return { @ = count(); }' "uretprobe:$W:sum8 { @ = count(); }"
fi

if want gdb; then
  cat > "$work/sum8.gdb" <<'EOF'
set pagination off
set confirm off
break sum8
commands 1
silent
continue
end
run
info breakpoints
EOF
  echo "== pid probe against gdb: cost per hit by wall time, (calls N - calls 1) / (N - 1) (median of $RUNS) =="
  rm -f "$work"/{pwall,gwall}
  hits() { grep -o 'already hit [0-9]* time' "$1" | awk '{ print $3 }'; }
  for i in $(seq "$RUNS"); do
    t0=$(now); run "$DTRACE" -x engine=ptrace -qn 'pid$target:a.out:sum8:entry { @ = count(); }' -c "$W calls 1" > "$work/out1" 2>&1
    t1=$(now); run "$DTRACE" -x engine=ptrace -qn 'pid$target:a.out:sum8:entry { @ = count(); }' -c "$W calls $WALL_CALLS" > "$work/outn" 2>&1
    t2=$(now)
    [ "$(dcount "$work/out1")" = 1 ] && [ "$(dcount "$work/outn")" = "$WALL_CALLS" ] || fail "dtrace wall: $(cat "$work/out1" "$work/outn")"
    echo $(( (t2 - t1) - (t1 - t0) )) | awk -v n="$WALL_CALLS" '{ print $1 / (n - 1) / 1000 }' >> "$work/pwall"
    t0=$(now); run gdb -nx -batch -x "$work/sum8.gdb" --args "$W" calls 1 > "$work/out1" 2>&1
    t1=$(now); run gdb -nx -batch -x "$work/sum8.gdb" --args "$W" calls "$GDB_CALLS" > "$work/outn" 2>&1
    t2=$(now)
    [ "$(hits "$work/out1")" = 1 ] && [ "$(hits "$work/outn")" = "$GDB_CALLS" ] && grep -q 'exited normally' "$work/outn" || fail "gdb: $(tail -5 "$work/outn")"
    echo $(( (t2 - t1) - (t1 - t0) )) | awk -v n="$GDB_CALLS" '{ print $1 / (n - 1) / 1000 }' >> "$work/gwall"
  done
  awk -v p="$(median < "$work/pwall")" -v g="$(median < "$work/gwall")" -v pn="$WALL_CALLS" -v gn="$GDB_CALLS" 'BEGIN {
    printf "sum8 entry: ptrace engine %.2f us/hit (N = %d); gdb break sum8 %.2f us/hit (N = %d); gdb/ptrace %.1fx\n", p, pn, g, gn, g / p }'
  echo "  runs (us/hit) ptrace: $(list "$work/pwall")"
  echo "  runs (us/hit) gdb: $(list "$work/gwall")"
  echo "  counts: dtrace 1 and $WALL_CALLS; gdb 'already hit 1 time' and '$GDB_CALLS times' in every run"
fi

if want syscall; then
  echo "== syscall probes: cost per getpid(), timed-getpid loop (median of $RUNS) =="
  rm -f "$work"/{sbase,fbase,seccomp,attach,strace,strace_bpf,free,kernel,attach_counts,free_counts}
  # attach: sh waits on a fifo, dtrace -p attaches to it, then sh execs the loop (all traced).
  attach() {
    rm -f "$work/fifo"; mkfifo "$work/fifo"
    # Not through run(): a function in a background job forks again, and $! would be that bash.
    local script="read x < '$work/fifo'; exec '$W' timed-getpid $SYS_CALLS"
    if [ -n "${PIN:-}" ]; then taskset -c "$PIN" sh -c "$script" > "$work/wout" & else sh -c "$script" > "$work/wout" & fi
    local target=$! j tracer=0
    for j in $(seq 500); do [[ "$(tr '\0' ' ' < "/proc/$target/cmdline")" == "sh -c read"* ]] && break; sleep 0.01; done
    run "$DTRACE" -x engine=ptrace -qn 'syscall::getpid:entry { @ = count(); }' -p $target > "$work/out" 2> "$work/err" &
    local dtrace=$!
    for j in $(seq 500); do
      tracer=$(awk '/^TracerPid/ { print $2 }' "/proc/$target/status"); [ "$tracer" != 0 ] && break; sleep 0.01
    done
    [ "$tracer" != 0 ] || fail "dtrace -p did not attach: $(cat "$work/err")"
    sleep 0.1
    echo go > "$work/fifo"
    wait $dtrace || fail "dtrace -p: $(cat "$work/err")"
    wait $target
    [ "$(dcount "$work/out")" = "$SYS_CALLS" ] || fail "dtrace -p counted $(dcount "$work/out") of $SYS_CALLS: $(cat "$work/err")"
    echo "$(dcount "$work/out") $(field loop_ns < "$work/wout")" >> "$work/attach_counts"
  }
  strace_count() { awk '$NF == "getpid" { print $4 }' "$1"; }
  for i in $(seq "$RUNS"); do
    run "$W" timed-getpid "$SYS_CALLS" | field loop_ns >> "$work/sbase"
    run "$W" timed-getpid "$FREE_CALLS" | field loop_ns >> "$work/fbase"
    run "$DTRACE" -x engine=ptrace -qn 'syscall::getpid:entry { @ = count(); }' -c "$W timed-getpid $SYS_CALLS" > "$work/out" 2> "$work/err" || fail "seccomp: $(cat "$work/err")"
    [ "$(dcount "$work/out")" = "$SYS_CALLS" ] || fail "seccomp count: $(cat "$work/out")"
    field loop_ns < "$work/out" >> "$work/seccomp"
    attach
    run strace -c -f -o "$work/sc" "$W" timed-getpid "$SYS_CALLS" > "$work/out"
    [ "$(strace_count "$work/sc")" = "$SYS_CALLS" ] || fail "strace count: $(cat "$work/sc")"
    field loop_ns < "$work/out" >> "$work/strace"
    run strace -c -f --seccomp-bpf -e trace=getpid -o "$work/sc" "$W" timed-getpid "$SYS_CALLS" > "$work/out"
    [ "$(strace_count "$work/sc")" = "$SYS_CALLS" ] || fail "strace --seccomp-bpf count: $(cat "$work/sc")"
    field loop_ns < "$work/out" >> "$work/strace_bpf"
    run "$DTRACE" -x engine=ptrace -qn 'syscall::close:entry { @ = count(); }' -c "$W timed-getpid $FREE_CALLS" > "$work/out" 2> "$work/err" || fail "free: $(cat "$work/err")"
    echo "$(dcount "$work/out")" >> "$work/free_counts"
    field loop_ns < "$work/out" >> "$work/free"
    run "$DTRACE" -x engine=kernel -qn 'syscall::getpid:entry /pid == $target/ { @ = count(); }' -c "$W timed-getpid $FREE_CALLS" > "$work/out" 2> "$work/err" || fail "kernel: $(cat "$work/err")"
    [ "$(dcount "$work/out")" = "$FREE_CALLS" ] || fail "kernel count: $(cat "$work/out")"
    field loop_ns < "$work/out" >> "$work/kernel"
  done
  [ "$(cat "$work"/{sbase,fbase,seccomp,strace,strace_bpf,free,kernel} | wc -l)" -eq $((7 * RUNS)) ] || fail "syscall: missing loop_ns"
  sb=$(median < "$work/sbase"); fb=$(median < "$work/fbase")
  # -p: the loop's calls are the traced ones (count) and any before the attach (untraced).
  awk -v b="$sb" '{ print ($2 - b) / $1 / 1000 }' "$work/attach_counts" > "$work/attach"
  line() { # NAME FILE CALLS BASE: us per call and added over the base (loop ns for CALLS calls)
    printf '%-58s %10.3f us/call  added %9.3f us   runs (us/call): %s\n' "$1" "$(median < "$2" | awk -v n="$3" '{ print $1 / n / 1000 }')" \
      "$(median < "$2" | awk -v n="$3" -v b="$4" '{ print ($1 - b) / n / 1000 }')" "$(awk -v n="$3" '{ printf "%.3f ", $1 / n / 1000 }' "$2" | tr ' ' '\n' | sort -g | tr '\n' ' ')"
  }
  line "untraced ($SYS_CALLS calls)" "$work/sbase" "$SYS_CALLS" "$sb"
  line "ptrace engine -c, getpid probed (seccomp stop)" "$work/seccomp" "$SYS_CALLS" "$sb"
  printf '%-58s %10s           added %9.3f us   runs (us/call): %s\n' "ptrace engine -p, getpid probed (PTRACE_SYSCALL)" "" "$(median < "$work/attach")" "$(list "$work/attach")"
  line "strace -c -f (PTRACE_SYSCALL)" "$work/strace" "$SYS_CALLS" "$sb"
  line "strace -c -f --seccomp-bpf -e trace=getpid" "$work/strace_bpf" "$SYS_CALLS" "$sb"
  line "untraced ($FREE_CALLS calls)" "$work/fbase" "$FREE_CALLS" "$fb"
  line "ptrace engine -c, close probed, getpid passes the filter" "$work/free" "$FREE_CALLS" "$fb"
  line "kernel engine, getpid probed (/pid == \$target/)" "$work/kernel" "$FREE_CALLS" "$fb"
  echo "  counts: -c getpid $SYS_CALLS in every run; -p getpid: $(awk '{ print $1 }' "$work/attach_counts" | tr '\n' ' ')(of $SYS_CALLS); strace getpid $SYS_CALLS; close: $(sort -u "$work/free_counts" | tr '\n' ' ')"
  awk -v s="$(median < "$work/seccomp")" -v t="$(median < "$work/strace")" -v b="$sb" 'BEGIN {
    printf "  ptrace -c / strace -c -f, added cost: %.2f\n", (s - b) / (t - b) }'
fi

if want startup; then
  echo "== start-up and exit: wall time (median of $STARTUP_RUNS) =="
  python3 - "$STARTUP_RUNS" "$DTRACE" "$W" "${PIN:-}" <<'PY'
import re, statistics, subprocess, sys, time
runs, dtrace, workload, pin = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
prefix = ["taskset", "-c", pin] if pin else []
libc = "pid$target:libc.so.6::entry { @ = count(); }"
cases = [
    ("untraced `workload calls 1`", None, "calls 1", None),
    ("untraced `workload now`", None, "now", None),
]
for engine in ("ptrace", "kernel"):
    cases += [
        (f"{engine}: pid$target:a.out:sum8:entry, calls 1", engine, "calls 1", "pid$target:a.out:sum8:entry { @ = count(); }"),
        (f"{engine}: syscall::getpid:entry, now", engine, "now", "syscall::getpid:entry /pid == $target/ { @ = count(); }"),
        (f"{engine}: pid$target:libc.so.6::entry, calls 1", engine, "calls 1", libc),
        (f"{engine}: pid$target:libc.so.6::entry, now", engine, "now", libc),
    ]
samples = {name: [] for name, *_ in cases}
for _ in range(runs):
    for name, engine, mode, program in cases:
        command = prefix + ([dtrace, "-x", f"engine={engine}", "-qn", program, "-c", f"{workload} {mode}"] if engine else [workload] + mode.split())
        start = time.monotonic_ns()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = (time.monotonic_ns() - start) / 1e6
        match = re.search(r"start_ns=(\d+)", done.stdout)
        counts = re.findall(r"^\s+(\d+)\s*$", done.stdout, re.M)
        if done.returncode not in (0, 1) or (engine and not counts) or (mode == "now" and not match):
            sys.exit(f"{name}: failed, exit {done.returncode}: {done.stderr.strip()[-300:]}")
        samples[name].append((wall, (int(match.group(1)) - start) / 1e6 if match else None, counts[-1] if counts else "-"))
for name, *_ in cases:
    s = samples[name]
    walls = sorted(x[0] for x in s)
    to_main = [x[1] for x in s if x[1] is not None]
    print(f"{name:48} wall {statistics.median(walls):8.2f} ms (min {walls[0]:.2f}, max {walls[-1]:.2f})"
          + (f"; launch to main {statistics.median(to_main):7.2f} ms" if to_main else "")
          + f"; counts {' '.join(sorted(set(x[2] for x in s)))}", flush=True)
PY
  n=$("$DTRACE" -x engine=ptrace -l -n 'pid$target:libc.so.6::entry' -c "$W calls 1" 2>/dev/null | awk 'NR > 1' | wc -l)
  echo "  pid\$target:libc.so.6::entry: $n probes (ptrace engine's dtrace -l)"
fi

if want rbreak; then
  printf 'set pagination off\nset confirm off\nbreak main\nrun\nrbreak ^\n' > "$work/rbreak.gdb"
  t0=$(now); run gdb -nx -batch -x "$work/rbreak.gdb" --args "$W" calls 1 > "$work/out" 2>&1; t1=$(now)
  echo "== gdb rbreak ^ (once): $(grep -c '^Breakpoint [0-9]* at' "$work/out") breakpoints set, $(( (t1 - t0) / 1000000 )) ms from gdb's start =="
fi
