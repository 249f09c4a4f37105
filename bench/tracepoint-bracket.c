/* bench/tracepoint-bracket.c: measures, inside the kernel, the time a kernel tracepoint
 * spends in the probe functions attached to it between two of its own (bench/tracepoint-cost.sh).
 *
 * How: the kernel calls a tracepoint's probe functions in the order they were registered
 * (same priority: a new one goes after the existing ones). This program attaches two raw
 * tracepoint BPF programs to the tracepoint, A first and B later, and whatever registers on
 * the tracepoint in between (a tracer's raw tracepoint program, or the perf_trace_<class>
 * handler a perf tracepoint event registers when it is opened) runs between them:
 *   A: start[cpu] = bpf_ktime_get_ns()                      (the clock read last)
 *   B: now = bpf_ktime_get_ns(); if start[cpu] != 0:          (the clock read first)
 *        delta = now - start[cpu]; sum[cpu] += delta; count[cpu]++; hist[cpu][delta] ++;
 *        start[cpu] = 0
 * B - A with nothing in between is the baseline (the dispatch from A to B, the two clock
 * reads); minus that, what a tool adds per firing of the tracepoint.
 * Tracepoint probes run with preemption off, so A and B of one firing run on one CPU, and
 * the state is a per-CPU array (no atomics). The histogram is per-CPU too, 1 ns buckets up
 * to HIST_BUCKETS - 1 ns, the last bucket everything longer (interrupts between A and B).
 *
 * No libbpf, no compiler for BPF: the programs are hand-encoded struct bpf_insn arrays
 * loaded with bpf(2); A is attached with BPF_RAW_TRACEPOINT_OPEN, B likewise when asked.
 *
 * Protocol (line based, stdout is flushed after each line):
 *   tracepoint-bracket TRACEPOINT        e.g. block_rq_issue, net_dev_queue (no category)
 *   prints "A attached"; on a line on stdin, attaches B and prints "B attached"; on the next
 *   line, snapshots the counters and prints "started"; on the next line (or end of input),
 *   prints the events since "started":
 *     events=N mean_ns=M median_ns=P50 p10_ns=.. p90_ns=.. p99_ns=.. over=K
 *   (over: events of HIST_BUCKETS - 1 ns or more; the percentiles are bucket bounds, 1 ns,
 *   but the clock may step coarser: 10 ns on a 2-CPU KVM/Firecracker guest seen, where
 *   only the mean over many events resolves below that),
 *   then exits (closing the descriptors detaches both programs).
 * Needs root (CAP_BPF and CAP_PERFMON). Build: cc -O2 -Wall -o tracepoint-bracket tracepoint-bracket.c */
#define _GNU_SOURCE 1
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HIST_BUCKETS 8192 /* 1 ns each: 0 .. 8190 ns, then 8191 = longer */

/* Instruction encoding. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)     INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX64(d, s, o)      INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX64(d, s, o)      INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX32(d, s, o)      INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST64_IMM(d, o, i)   INSN(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i)
#define ST32_IMM(d, o, i)   INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JMP_IMM(op, d, i)   INSN(BPF_JMP | (op) | BPF_K, d, 0, 0, i) /* offset patched later */
#define CALL(f)             INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()              INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* r = map (two instructions: a 64-bit immediate, the map's fd resolved by the loader) */
#define LD_MAP_FD(d, fd)    INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

/* The per-CPU state: key 0 of the state map. */
struct state { uint64_t start, sum, count, pad; };

static int bpf(int cmd, union bpf_attr *attr) { return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr); }

static void die(const char *what) { fprintf(stderr, "tracepoint-bracket: %s: %s\n", what, strerror(errno)); exit(1); }

static int map_create(uint32_t type, uint32_t value_size, uint32_t entries, const char *name) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = 4;
    a.value_size = value_size;
    a.max_entries = entries;
    strncpy(a.map_name, name, sizeof a.map_name - 1);
    int fd = bpf(BPF_MAP_CREATE, &a);
    if (fd < 0) die("BPF_MAP_CREATE");
    return fd;
}

static int prog_load(const struct bpf_insn *insns, size_t count, const char *name) {
    static char log[65536];
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = (uint32_t)count;
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    strncpy(a.prog_name, name, sizeof a.prog_name - 1);
    int fd = bpf(BPF_PROG_LOAD, &a);
    if (fd < 0) {
        int saved = errno;
        fprintf(stderr, "tracepoint-bracket: verifier log of %s:\n%s\n", name, log);
        errno = saved;
        die("BPF_PROG_LOAD");
    }
    return fd;
}

static int attach(int prog, const char *tracepoint) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.raw_tracepoint.name = (uint64_t)(uintptr_t)tracepoint;
    a.raw_tracepoint.prog_fd = (uint32_t)prog;
    int fd = bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
    if (fd < 0) die("BPF_RAW_TRACEPOINT_OPEN");
    return fd;
}

static int lookup(int map, uint32_t key, void *values) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)values;
    return bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

/* The number of possible CPUs (a per-CPU map's lookup returns one value for each). */
static int possible_cpus(void) {
    FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
    if (!f) die("/sys/devices/system/cpu/possible");
    int count = 0, low, high;
    char separator;
    while (fscanf(f, "%d", &low) == 1) {
        high = low;
        if (fscanf(f, "%c", &separator) == 1 && separator == '-') {
            if (fscanf(f, "%d", &high) != 1) break;
            if (fscanf(f, "%c", &separator) != 1) separator = '\n';
        }
        count += high - low + 1;
        if (separator != ',') break;
    }
    fclose(f);
    return count > 0 ? count : 1;
}

/* The totals over all CPUs: sum, count and the histogram. */
struct snapshot { uint64_t sum, count, hist[HIST_BUCKETS]; };

static void snapshot(int state_map, int hist_map, int cpus, struct snapshot *s) {
    struct state states[cpus];
    uint64_t counts[cpus];
    memset(s, 0, sizeof *s);
    if (lookup(state_map, 0, states)) die("BPF_MAP_LOOKUP_ELEM (state)");
    for (int c = 0; c < cpus; c++) { s->sum += states[c].sum; s->count += states[c].count; }
    for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
        if (lookup(hist_map, b, counts)) die("BPF_MAP_LOOKUP_ELEM (histogram)");
        for (int c = 0; c < cpus; c++) s->hist[b] += counts[c];
    }
}

/* The bucket (ns) below which the fraction q of the events fall. */
static uint32_t percentile(const uint64_t *hist, uint64_t total, double q) {
    uint64_t seen = 0, rank = (uint64_t)(q * (double)total);
    for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen > rank) return b;
    }
    return HIST_BUCKETS - 1;
}

static void wait_line(void) {
    char line[256];
    if (!fgets(line, sizeof line, stdin)) clearerr(stdin);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tracepoint-bracket TRACEPOINT   (e.g. block_rq_issue; see the file's top comment)\n");
        return 2;
    }
    const char *tracepoint = argv[1];
    int cpus = possible_cpus();
    int state_map = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(struct state), 1, "bracket_state");
    int hist_map = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint64_t), HIST_BUCKETS, "bracket_hist");

    /* A: the state's start = the clock, read after the lookup so that only the store follows it. */
    struct bpf_insn a[] = {
        ST32_IMM(R10, -4, 0),                 /* key = 0 */
        LD_MAP_FD(R1, state_map),
        MOV64_REG(R2, R10),
        ALU64_IMM(BPF_ADD, R2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, R0, 0),              /* [6] no state: out */
        MOV64_REG(R6, R0),
        CALL(BPF_FUNC_ktime_get_ns),
        STX64(R6, R0, 0),                     /* start = now */
        MOV64_IMM(R0, 0),                     /* [10] out */
        EXIT(),
    };
    a[6].off = 10 - 7;

    /* B: the clock first, then the bookkeeping (not measured). */
    struct bpf_insn b[40];
    int n = 0, to_out[3], jumps = 0;
    b[n++] = CALL(BPF_FUNC_ktime_get_ns);
    b[n++] = MOV64_REG(R6, R0);               /* r6 = now */
    b[n++] = ST32_IMM(R10, -4, 0);            /* key = 0 */
    struct bpf_insn load_state[] = { LD_MAP_FD(R1, state_map) };
    b[n++] = load_state[0];
    b[n++] = load_state[1];
    b[n++] = MOV64_REG(R2, R10);
    b[n++] = ALU64_IMM(BPF_ADD, R2, -4);
    b[n++] = CALL(BPF_FUNC_map_lookup_elem);
    to_out[jumps++] = n;
    b[n++] = JMP_IMM(BPF_JEQ, R0, 0);         /* no state: out */
    b[n++] = LDX64(R1, R0, 0);                /* r1 = start */
    to_out[jumps++] = n;
    b[n++] = JMP_IMM(BPF_JEQ, R1, 0);         /* A did not run for this firing: out */
    b[n++] = ST64_IMM(R0, 0, 0);              /* start = 0 */
    b[n++] = ALU64_REG(BPF_SUB, R6, R1);      /* r6 = delta */
    b[n++] = LDX64(R1, R0, 8);
    b[n++] = ALU64_REG(BPF_ADD, R1, R6);
    b[n++] = STX64(R0, R1, 8);                /* sum += delta */
    b[n++] = LDX64(R1, R0, 16);
    b[n++] = ALU64_IMM(BPF_ADD, R1, 1);
    b[n++] = STX64(R0, R1, 16);               /* count++ */
    b[n] = JMP_IMM(BPF_JLE, R6, HIST_BUCKETS - 1);
    b[n++].off = 1;
    b[n++] = MOV64_IMM(R6, HIST_BUCKETS - 1); /* longer: the last bucket */
    b[n++] = STX32(R10, R6, -8);              /* key = bucket */
    struct bpf_insn load_hist[] = { LD_MAP_FD(R1, hist_map) };
    b[n++] = load_hist[0];
    b[n++] = load_hist[1];
    b[n++] = MOV64_REG(R2, R10);
    b[n++] = ALU64_IMM(BPF_ADD, R2, -8);
    b[n++] = CALL(BPF_FUNC_map_lookup_elem);
    to_out[jumps++] = n;
    b[n++] = JMP_IMM(BPF_JEQ, R0, 0);
    b[n++] = LDX64(R1, R0, 0);
    b[n++] = ALU64_IMM(BPF_ADD, R1, 1);
    b[n++] = STX64(R0, R1, 0);                /* hist[bucket]++ */
    int out = n;
    b[n++] = MOV64_IMM(R0, 0);
    b[n++] = EXIT();
    for (int j = 0; j < jumps; j++) b[to_out[j]].off = (int16_t)(out - to_out[j] - 1);

    int prog_a = prog_load(a, sizeof a / sizeof a[0], "bracket_a");
    int prog_b = prog_load(b, (size_t)n, "bracket_b");
    attach(prog_a, tracepoint);
    printf("A attached\n");
    fflush(stdout);

    wait_line();
    attach(prog_b, tracepoint);
    printf("B attached\n");
    fflush(stdout);

    static struct snapshot before, after;
    wait_line();
    snapshot(state_map, hist_map, cpus, &before);
    printf("started\n");
    fflush(stdout);

    wait_line();
    snapshot(state_map, hist_map, cpus, &after);
    uint64_t events = after.count - before.count, sum = after.sum - before.sum;
    for (int i = 0; i < HIST_BUCKETS; i++) after.hist[i] -= before.hist[i];
    printf("events=%llu mean_ns=%.1f median_ns=%u p10_ns=%u p90_ns=%u p99_ns=%u over=%llu\n",
           (unsigned long long)events, events ? (double)sum / (double)events : 0.0,
           percentile(after.hist, events, 0.5), percentile(after.hist, events, 0.1),
           percentile(after.hist, events, 0.9), percentile(after.hist, events, 0.99),
           (unsigned long long)after.hist[HIST_BUCKETS - 1]);
    fflush(stdout);
    return 0;
}
