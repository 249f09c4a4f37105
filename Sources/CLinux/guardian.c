/* CLinux/guardian: the guardian of the processes a dtrace thread traces with ptrace (-p),
 * which leaves them healthy if dtrace dies without detaching (SIGKILL, a crash): a process
 * of its own, forked twice from the tracing thread (init is its parent, so the tracer's
 * waits never see it), that runs only the C below — every system call made with the
 * `syscall` instruction: no C library, no TLS, no lock after the fork of a multithreaded
 * process — and keeps of dtrace's memory only its stack, its thread pointer's block and
 * the continuations it shares with the tracer; and the SIGTRAP handler (machine code) the
 * tracer places in each traced process, which applies the guardian's fixes.
 *
 * What the kernel does to a tracee when its tracer dies (Linux 6.18, measured; the ptrace
 * section of docs/ARCHITECTURE.md): a stop the tracer has waited for (waitpid zeroes the
 * tracee's exit_code) is let go without its signal, at its rip — just past an int3, in the
 * middle of the original instruction; a stop it has not waited for delivers its signal (an
 * int3's SIGTRAP kills the process); a trap flag PTRACE_SINGLESTEP set stays set, so the
 * next instruction raises a SIGTRAP; a pending SIGTRAP is delivered. Only the tracer's
 * thread group can wait for its tracees, so no other process can take those SIGTRAPs:
 * they must find a handler.
 *
 * How the guardian knows: it traces the tracing thread (PTRACE_SEIZE, PTRACE_O_TRACEEXIT).
 * A dying thread — SIGKILLed too — stops at PTRACE_EVENT_EXIT before exit_notify detaches
 * its tracees, and stays there until the guardian lets it go: meanwhile every thread of a
 * traced process stays traced, stopped where it is (a thread that traps stops and waits).
 * What it knows: records on a stream socket (struct clinux_guardian_record) — each
 * breakpoint and its original byte before the int3 is written, removals, the scratch page
 * and where each copy stepped there comes from, the trap handler's page — and the
 * continuations (struct clinux_guardian_continuation) the tracer publishes in shared
 * memory: the registers it chose for a stopped thread, a step under way, a signal it owes.
 *
 * With the tracer held: (1) every original byte goes back where an int3 of the table still
 * is (/proc/PID/mem; fork children still held too); (2) threads under a single step are
 * waited for until their step's trap stops them; (3) each stopped thread is read
 * (/proc/TID/stat: its exit_code; /proc/TID/syscall: its rip; /proc/TID/status: SigPnd) and
 * one of ours — just past an int3 (put back there unless its registers are those the
 * tracer chose: the displaced instruction ran), in the scratch page (moved to the original
 * instruction or the one after it), where the tracer left it after a step (its trap flag)
 * — gets a fix in the trap handler's page; one the release lets go without a signal is
 * sent a SIGTRAP so that the handler runs (the kernel clears a forced trap flag first); a
 * signal the tracer owed the program is sent again; (4) the tracer is let go. Without the
 * handler (not placed, or the program's own action replaced it) the threads let go without
 * a signal are stopped by SIGSTOP instead, seized after the release, fixed and detached
 * (a group-stop the process's parent sees, ended by SIGCONT), and those whose SIGTRAP is
 * delivered are lost. The scratch page and the handler's page stay mapped.
 *
 * What remains: a thread inside a system call the tracer injected (mmap of the scratch
 * page, rt_sigaction for the handler) keeps the injected registers; signals the tracer held
 * back during a step, or took in the moment between its waitpid and its note that it owes
 * them, are lost; a signal numbered below SIGTRAP pending with a handler runs before the
 * fix; a program that sets a SIGTRAP action of its own after the handler was placed gets
 * the guardian's SIGTRAPs (SigCgt cannot tell whose handler it is). Without the tracer held
 * (dtrace under strace or gdb), the guardian learns of its death when the socket closes,
 * after the threads were let go, and only restores the bytes. */
#define _GNU_SOURCE
#include "clinux.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)

/* ---- The guardian's own system calls: the `syscall` instruction, -errno on failure ---- */

static long raw6(long number, long a, long b, long c, long d, long e, long f) {
    long result;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}
#define raw0(n) raw6((n), 0, 0, 0, 0, 0, 0)
#define raw1(n, a) raw6((n), (long)(a), 0, 0, 0, 0, 0)
#define raw2(n, a, b) raw6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw3(n, a, b, c) raw6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw4(n, a, b, c, d) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

enum { NR_read = 0, NR_write = 1, NR_close = 3, NR_mmap = 9, NR_munmap = 11, NR_rt_sigaction = 13, NR_rt_sigprocmask = 14, NR_pread64 = 17,
       NR_pwrite64 = 18, NR_getpid = 39, NR_sendto = 44, NR_recvfrom = 45, NR_clone = 56, NR_exit = 60, NR_wait4 = 61,
       NR_kill = 62, NR_ptrace = 101, NR_setsid = 112, NR_prctl = 157, NR_arch_prctl = 158, NR_getdents64 = 217,
       NR_clock_gettime = 228, NR_clock_nanosleep = 230, NR_exit_group = 231, NR_tgkill = 234, NR_openat = 257,
       NR_ppoll = 271, NR_signalfd4 = 289, NR_close_range = 436 };

enum { REQUEST_CONT = 7, REQUEST_GETREGS = 12, REQUEST_SETREGS = 13, REQUEST_DETACH = 17, REQUEST_SEIZE = 0x4206,
       REQUEST_INTERRUPT = 0x4207, REQUEST_LISTEN = 0x4208, OPTION_TRACEEXIT = 0x40, EVENT_EXIT = 6, EVENT_STOP = 128 };
enum { WAIT_ALL = 0x40000000, WAIT_NOHANG = 1 };

/* struct user_regs_struct: rip is word 16. */
enum { REGISTER_WORDS = 27, REGISTER_RIP = 16 };

static long long now_ns(void) {
    struct timespec now;
    raw2(NR_clock_gettime, CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void pause_ns(long ns) {
    struct timespec span = { 0, ns };
    raw4(NR_clock_nanosleep, CLOCK_MONOTONIC, 0, &span, 0);
}

static void *map_zeroed(uint64_t size) {
    long address = raw6(NR_mmap, 0, (long)size, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
    return address < 0 && address > -4096 ? 0 : (void *)address;
}

/* Byte copies the compiler cannot turn into a call of memcpy. */
static void copy_bytes(void *to, const void *from, uint64_t count) {
    volatile uint8_t *out = to;
    const volatile uint8_t *in = from;
    for (uint64_t i = 0; i < count; i++) out[i] = in[i];
}

/* ---- Text: paths, numbers, /proc files ---- */

struct text { char *bytes; int length; int capacity; };

static void text_add(struct text *text, const char *string) {
    while (*string && text->length < text->capacity - 1) text->bytes[text->length++] = *string++;
    text->bytes[text->length] = 0;
}

static void text_number(struct text *text, long long value) {
    char digits[24];
    int count = 0;
    unsigned long long magnitude = value < 0 ? (unsigned long long)(-(value + 1)) + 1 : (unsigned long long)value;
    do { digits[count++] = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude && count < 23);
    if (value < 0) digits[count++] = '-';
    char reversed[24];
    for (int i = 0; i < count; i++) reversed[i] = digits[count - 1 - i];
    reversed[count] = 0;
    text_add(text, reversed);
}

/* "/proc/PID/task/TID/NAME" (tid <= 0: "/proc/PID/NAME"). */
static void proc_path(char *buffer, int capacity, int32_t pid, int32_t tid, const char *name) {
    struct text path = { buffer, 0, capacity };
    text_add(&path, "/proc/");
    text_number(&path, pid);
    if (tid > 0) { text_add(&path, "/task/"); text_number(&path, tid); }
    text_add(&path, "/");
    text_add(&path, name);
}

static int open_path(const char *path, int flags) {
    return (int)raw4(NR_openat, AT_FDCWD, path, flags | 02000000 /* O_CLOEXEC */, 0);
}

/* The file at `path` into `buffer` (NUL-terminated); its length, or -1. */
static int read_small_file(const char *path, char *buffer, int capacity) {
    int fd = open_path(path, 0);
    if (fd < 0) return -1;
    int length = 0;
    while (length < capacity - 1) {
        long got = raw3(NR_read, fd, buffer + length, capacity - 1 - length);
        if (got == -EINTR) continue;
        if (got <= 0) break;
        length += (int)got;
    }
    raw1(NR_close, fd);
    buffer[length] = 0;
    return length;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

static long long parse_decimal(const char *at, const char **end) {
    int negative = 0;
    if (*at == '-') { negative = 1; at++; }
    long long value = 0;
    while (*at >= '0' && *at <= '9') value = value * 10 + (*at++ - '0');
    if (end) *end = at;
    return negative ? -value : value;
}

static uint64_t parse_hex(const char *at, const char **end) {
    if (at[0] == '0' && (at[1] == 'x' || at[1] == 'X')) at += 2;
    uint64_t value = 0;
    for (;; at++) {
        char c = *at;
        if (c >= '0' && c <= '9') value = value * 16 + (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f') value = value * 16 + (uint64_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') value = value * 16 + (uint64_t)(c - 'A' + 10);
        else break;
    }
    if (end) *end = at;
    return value;
}

/* The value after "Key:" in a /proc status file, or `fallback`. */
static const char *status_field(const char *status, const char *key) {
    int key_length = 0;
    for (const volatile char *at = key; *at; at++) key_length++;   /* not strlen: no C library here */
    for (const char *line = status; *line;) {
        int matches = 1;
        for (int i = 0; i < key_length; i++) if (line[i] != key[i]) { matches = 0; break; }
        if (matches && line[key_length] == ':') {
            const char *value = line + key_length + 1;
            while (*value == ' ' || *value == '\t') value++;
            return value;
        }
        while (*line && *line != '\n') line++;
        if (*line) line++;
    }
    return 0;
}

/* From /proc/PID/task/TID/stat: the state letter, the stop's exit_code (field 52) and the
 * start time (field 22). Returns 0, or -1 when the thread is gone. */
struct thread_stat { char state; int32_t exit_code; uint64_t start_time; };

static int read_thread_stat(int32_t pid, int32_t tid, struct thread_stat *out) {
    char path[64], buffer[1024];
    proc_path(path, sizeof path, pid, tid, "stat");
    if (read_small_file(path, buffer, sizeof buffer) <= 0) return -1;
    const char *close_parenthesis = 0;
    for (const char *at = buffer; *at; at++) if (*at == ')') close_parenthesis = at;
    if (!close_parenthesis) return -1;
    const char *at = close_parenthesis + 1;
    out->state = '?';
    out->exit_code = 0;
    out->start_time = 0;
    for (int field = 3; *at; field++) {
        while (is_space(*at)) at++;
        if (!*at) break;
        if (field == 3) out->state = *at;
        if (field == 22) out->start_time = (uint64_t)parse_decimal(at, 0);
        if (field == 52) out->exit_code = (int32_t)parse_decimal(at, 0);
        while (*at && !is_space(*at)) at++;
    }
    return 0;
}

/* From /proc/PID/task/TID/status: TracerPid, SigPnd (the thread's own pending signals),
 * PPid and Tgid. */
struct thread_status { int32_t tracer; int32_t parent; int32_t group; uint64_t pending; };

static int read_thread_status(int32_t pid, int32_t tid, struct thread_status *out) {
    char path[64], buffer[2048];
    proc_path(path, sizeof path, pid, tid, "status");
    if (read_small_file(path, buffer, sizeof buffer) <= 0) return -1;
    const char *value;
    out->tracer = (value = status_field(buffer, "TracerPid")) ? (int32_t)parse_decimal(value, 0) : 0;
    out->parent = (value = status_field(buffer, "PPid")) ? (int32_t)parse_decimal(value, 0) : 0;
    out->group = (value = status_field(buffer, "Tgid")) ? (int32_t)parse_decimal(value, 0) : 0;
    out->pending = (value = status_field(buffer, "SigPnd")) ? parse_hex(value, 0) : 0;
    return 0;
}

/* A stopped thread's user rip: the last field of /proc/PID/task/TID/syscall ("-1 SP PC"
 * outside a system call, "NR ARGS... SP PC" in one). 0 when it runs or is gone. */
static uint64_t read_thread_pc(int32_t pid, int32_t tid) {
    char path[64], buffer[256];
    proc_path(path, sizeof path, pid, tid, "syscall");
    int length = read_small_file(path, buffer, sizeof buffer);
    if (length <= 0 || buffer[0] == 'r') return 0;
    while (length > 0 && is_space(buffer[length - 1])) buffer[--length] = 0;
    int start = length;
    while (start > 0 && !is_space(buffer[start - 1])) start--;
    return parse_hex(buffer + start, 0);
}

/* The numeric entries of a /proc directory, one at a time (getdents64). */
struct number_list { int fd; char buffer[4096]; long filled; long offset; };

static int number_list_open(struct number_list *list, const char *path) {
    list->fd = open_path(path, 0200000 /* O_DIRECTORY */);
    list->filled = 0;
    list->offset = 0;
    return list->fd < 0 ? -1 : 0;
}

static int32_t number_list_next(struct number_list *list) {
    for (;;) {
        if (list->offset >= list->filled) {
            list->filled = raw3(NR_getdents64, list->fd, list->buffer, sizeof list->buffer);
            list->offset = 0;
            if (list->filled <= 0) return -1;
        }
        char *entry = list->buffer + list->offset;
        uint16_t record_length;
        copy_bytes(&record_length, entry + 16, 2);
        list->offset += record_length;
        const char *name = entry + 19;
        if (*name < '0' || *name > '9') continue;
        const char *end;
        long long value = parse_decimal(name, &end);
        if (*end == 0) return (int32_t)value;
    }
}

static void number_list_close(struct number_list *list) { if (list->fd >= 0) raw1(NR_close, list->fd); }

/* ---- Tables: open addressing, keys never 0, entries {key, first, second} ---- */

struct table { uint64_t *words; uint64_t capacity; uint64_t count; };

static uint64_t table_index(const struct table *table, uint64_t key) {
    return (key * 0x9E3779B97F4A7C15ULL) >> 17 & (table->capacity - 1);
}

static uint64_t *table_find(const struct table *table, uint64_t key) {
    if (!table->words || key == 0) return 0;
    for (uint64_t i = table_index(table, key);; i = (i + 1) & (table->capacity - 1)) {
        uint64_t *entry = table->words + 3 * i;
        if (entry[0] == key) return entry;
        if (entry[0] == 0) return 0;
    }
}

static int table_put(struct table *table, uint64_t key, uint64_t first, uint64_t second) {
    if (key == 0) return -1;
    uint64_t *found = table_find(table, key);
    if (found) { found[1] = first; found[2] = second; return 0; }
    if (!table->words || 2 * (table->count + 1) > table->capacity) {
        uint64_t capacity = table->words ? 2 * table->capacity : 256;
        uint64_t *words = map_zeroed(capacity * 3 * sizeof(uint64_t));
        if (!words) return -1;
        struct table grown = { words, capacity, 0 };
        for (uint64_t i = 0; table->words && i < table->capacity; i++) {
            uint64_t *entry = table->words + 3 * i;
            if (entry[0]) table_put(&grown, entry[0], entry[1], entry[2]);
        }
        if (table->words) raw2(NR_munmap, table->words, table->capacity * 3 * sizeof(uint64_t));
        *table = grown;
    }
    uint64_t *entry;
    for (uint64_t i = table_index(table, key);; i = (i + 1) & (table->capacity - 1)) {
        entry = table->words + 3 * i;
        if (entry[0] == 0) break;
    }
    entry[0] = key;
    entry[1] = first;
    entry[2] = second;
    table->count++;
    return 0;
}

static void table_clear(struct table *table) {
    if (table->words) raw2(NR_munmap, table->words, table->capacity * 3 * sizeof(uint64_t));
    table->words = 0;
    table->capacity = 0;
    table->count = 0;
}

/* ---- The trap handler the tracer places in each process (x86-64 machine code) ----
 *
 * Installed for SIGTRAP (SA_SIGINFO) on a page of its own in the traced process, with the
 * program's own action kept at CLINUX_GUARDIAN_PAGE_ACTION. Under a live tracer it never
 * runs for the tracer's traps (they are reported and suppressed); a SIGTRAP the program
 * raises itself is passed on to the program's action. After dtrace's death the guardian
 * writes fixes (struct clinux_guardian_fix) there before it lets the tracer go: a thread
 * whose fix names it and its rip gets rip = destination — unless `compare` is set and its
 * registers are the `expected` ones (the displaced instruction ran) — and returns; the
 * kernel already cleared a trap flag a single step left before it ran the handler. A
 * SIGTRAP the guardian sent (SI_TKILL from the pid it wrote at
 * CLINUX_GUARDIAN_PAGE_GUARDIAN) that no fix names is ignored, never passed on. It uses
 * no stack and no memory but the page, so it runs on any stack. */
__asm__(".text\n"
        ".globl clinux_guardian_handler_start\n"
        ".type clinux_guardian_handler_start, @function\n"
        "clinux_guardian_handler_start:\n"
        ".Lguardian_handler_base:\n"                               /* local: no relocation */
        "\tmov %rdx, %r10\n"                                      /* the ucontext */
        "\tmov $186, %eax\n"                                      /* gettid */
        "\tsyscall\n"
        "\tlea .Lguardian_handler_base+0x440(%rip), %r8\n"  /* the fixes */
        "\tmovl .Lguardian_handler_base+0x420(%rip), %ecx\n"
        "1:\ttest %ecx, %ecx\n"
        "\tjz 5f\n"
        "\tcmp %eax, (%r8)\n"
        "\tje 2f\n"
        "\tadd $160, %r8\n"
        "\tdec %ecx\n"
        "\tjmp 1b\n"
        "2:\tmov 168(%r10), %r9\n"                                /* uc_mcontext.gregs[REG_RIP] */
        "\tcmp 8(%r8), %r9\n"
        "\tjne 5f\n"
        "\tcmpl $0, 4(%r8)\n"
        "\tje 4f\n"
        "\txor %ecx, %ecx\n"
        "3:\tmov 40(%r10,%rcx,8), %r9\n"                          /* gregs[0..15]: r8 ... rsp */
        "\tcmp 24(%r8,%rcx,8), %r9\n"
        "\tjne 4f\n"
        "\tinc %ecx\n"
        "\tcmp $16, %ecx\n"
        "\tjb 3b\n"
        "\tmov 176(%r10), %r9\n"                                  /* gregs[REG_EFL] */
        "\txor 152(%r8), %r9\n"
        "\ttest $0xdd5, %r9\n"
        "\tjnz 4f\n"
        "\tret\n"                                                 /* as the tracer left it */
        "4:\tmov 16(%r8), %r9\n"
        "\tmov %r9, 168(%r10)\n"
        "\tret\n"
        "5:\tcmpl $-6, 8(%rsi)\n"                                 /* si_code SI_TKILL ... */
        "\tjne 8f\n"
        "\tmov 16(%rsi), %eax\n"                                  /* ... from the guardian: ignored */
        "\tcmp .Lguardian_handler_base+0x424(%rip), %eax\n"
        "\tje 7f\n"
        "8:\tmov .Lguardian_handler_base+0x400(%rip), %rax\n"     /* the program's own action */
        "\ttest %rax, %rax\n"
        "\tjz 6f\n"
        "\tcmp $1, %rax\n"
        "\tje 7f\n"
        "\tjmp *%rax\n"                                           /* its handler, with our arguments */
        "6:\tmov %rsi, %r9\n"                                     /* SIG_DFL: put it back, raise again */
        "\tmov $13, %eax\n"                                       /* rt_sigaction(SIGTRAP, action, 0, 8) */
        "\tmov $5, %edi\n"
        "\tlea .Lguardian_handler_base+0x400(%rip), %rsi\n"
        "\txor %edx, %edx\n"
        "\tmov $8, %r10d\n"
        "\tsyscall\n"
        "\tmov $39, %eax\n"                                       /* getpid */
        "\tsyscall\n"
        "\tmov %eax, %r8d\n"
        "\tmov $186, %eax\n"                                      /* gettid */
        "\tsyscall\n"
        "\tmov %eax, %esi\n"
        "\tmov %r8d, %edi\n"
        "\tmov $5, %edx\n"
        "\tmov %r9, %r10\n"
        "\tmov $297, %eax\n"                                      /* rt_tgsigqueueinfo: the same siginfo */
        "\tsyscall\n"
        "7:\tret\n"                                               /* SIG_IGN */
        ".globl clinux_guardian_handler_restorer\n"
        "clinux_guardian_handler_restorer:\n"
        "\tmov $15, %eax\n"                                       /* rt_sigreturn */
        "\tsyscall\n"
        ".globl clinux_guardian_handler_end\n"
        "clinux_guardian_handler_end:\n"
        ".size clinux_guardian_handler_start, . - clinux_guardian_handler_start\n");
extern const uint8_t clinux_guardian_handler_start[], clinux_guardian_handler_restorer[], clinux_guardian_handler_end[];

/* ---- The guardian's state ---- */

/* One process in the guardian's care. */
struct care {
    int32_t pid;
    uint64_t start_time;
    struct table breakpoints;   /* address -> original byte, removed */
    struct table slots;         /* scratch address -> length, original address */
    uint64_t scratch;
    uint64_t scratch_size;
    uint64_t handler_page;      /* the trap handler's page, 0: none */
};

enum { MAXIMUM_PROCESSES = 32, MAXIMUM_MOVES = 4096,
       MAXIMUM_FIXES = (CLINUX_GUARDIAN_PAGE_SIZE - CLINUX_GUARDIAN_PAGE_FIXES) / sizeof(struct clinux_guardian_fix) };

/* Without the trap handler: a thread that must not run before it is seized after the
 * release (stopped by SIGSTOP meanwhile) and given `fix`. */
struct move { int32_t pid; struct clinux_guardian_fix fix; };

/* What a recovery did, for the report. */
struct outcome {
    long restored, threads, fixed, moved, unmoved, resent, lost, grouped, handler;
    long long restore_ns, total_ns;
};

struct guardian {
    int channel, report, signals;
    struct clinux_guardian_continuation *continuations;
    uint32_t continuation_count;
    int32_t tracer, self;
    int holds_tracer, dismissing;
    struct care cares[MAXIMUM_PROCESSES];
    int care_count;
    uint8_t partial[sizeof(struct clinux_guardian_record)];
    int partial_length;
    struct move *moves;
    struct clinux_guardian_fix *fixes;
};

static void send_record(struct guardian *guardian, uint32_t kind, int32_t pid, uint64_t a, uint64_t b, uint64_t c) {
    struct clinux_guardian_record record;
    record.kind = kind;
    record.pid = pid;
    record.a = a;
    record.b = b;
    record.c = c;
    raw6(NR_sendto, guardian->channel, (long)&record, sizeof record, MSG_NOSIGNAL, 0, 0);
}

static const struct care empty_care;
static const struct outcome empty_outcome;
static const struct clinux_guardian_fix empty_fix;

static struct care *care_of(struct guardian *guardian, int32_t pid, int create) {
    for (int i = 0; i < guardian->care_count; i++) if (guardian->cares[i].pid == pid) return &guardian->cares[i];
    if (!create || guardian->care_count == MAXIMUM_PROCESSES) return 0;
    struct care *care = &guardian->cares[guardian->care_count++];
    copy_bytes(care, &empty_care, sizeof *care);   /* not a struct assignment: no memset call */
    care->pid = pid;
    return care;
}

static void forget(struct care *care) {
    table_clear(&care->breakpoints);
    table_clear(&care->slots);
    care->scratch = 0;
    care->scratch_size = 0;
    care->handler_page = 0;
}

static void write_report(struct guardian *guardian, const char *what, const struct care *care, const struct outcome *outcome, int held);

static void finish(void) __attribute__((noreturn));
static void finish(void) {
    for (;;) raw1(NR_exit_group, 0);
}

static void dismissed(struct guardian *guardian) __attribute__((noreturn));
static void dismissed(struct guardian *guardian) {
    send_record(guardian, CLINUX_GUARDIAN_DISMISS, 0, 0, 0, 0);
    write_report(guardian, "dismissed", 0, 0, 0);
    finish();
}

static void apply(struct guardian *guardian, const struct clinux_guardian_record *record) {
    struct care *care = care_of(guardian, record->pid, record->kind == CLINUX_GUARDIAN_WATCH);
    switch (record->kind) {
    case CLINUX_GUARDIAN_WATCH:
        if (care) care->start_time = record->a;
        break;
    case CLINUX_GUARDIAN_FORGET:
        if (care) forget(care);
        break;
    case CLINUX_GUARDIAN_RELEASE:
        if (care) {
            forget(care);
            copy_bytes(care, &guardian->cares[--guardian->care_count], sizeof *care);
        }
        break;
    case CLINUX_GUARDIAN_BREAKPOINT:
        if (care) table_put(&care->breakpoints, record->a, record->b & 0xff, 0);
        break;
    case CLINUX_GUARDIAN_REMOVED:
        if (care) {
            uint64_t *entry = table_find(&care->breakpoints, record->a);
            if (entry) entry[2] = 1;   /* its byte is back: not written again, but a trap there is ours */
        }
        break;
    case CLINUX_GUARDIAN_SCRATCH:
        if (care) { care->scratch = record->a; care->scratch_size = record->b; }
        break;
    case CLINUX_GUARDIAN_SLOT:
        if (care) table_put(&care->slots, record->a, record->b, record->c);
        break;
    case CLINUX_GUARDIAN_HANDLER:
        if (care) care->handler_page = record->a;
        break;
    case CLINUX_GUARDIAN_SYNC:
        send_record(guardian, CLINUX_GUARDIAN_SYNC, record->pid, record->a, 0, 0);
        break;
    case CLINUX_GUARDIAN_DISMISS:
        guardian->dismissing = 1;
        if (!guardian->holds_tracer) dismissed(guardian);
        raw4(NR_ptrace, REQUEST_INTERRUPT, guardian->tracer, 0, 0);   /* detached at its stop */
        break;
    default:
        break;
    }
}

/* Reads what the socket holds (blocking: until one read returned something). Returns 0,
 * or -1 at end of file. */
static int read_records(struct guardian *guardian, int blocking) {
    uint8_t buffer[4096];
    for (;;) {
        long got = raw6(NR_recvfrom, guardian->channel, (long)buffer, sizeof buffer, blocking ? 0 : MSG_DONTWAIT, 0, 0);
        if (got == -EINTR) continue;
        if (got == -EAGAIN) return 0;
        if (got <= 0) return -1;
        long used = 0;
        while (used < got) {
            long take = (long)sizeof guardian->partial - guardian->partial_length;
            if (take > got - used) take = got - used;
            copy_bytes(guardian->partial + guardian->partial_length, buffer + used, (uint64_t)take);
            guardian->partial_length += (int)take;
            used += take;
            if (guardian->partial_length == (int)sizeof guardian->partial) {
                struct clinux_guardian_record record;
                copy_bytes(&record, guardian->partial, sizeof record);
                guardian->partial_length = 0;
                apply(guardian, &record);
            }
        }
        if (blocking) return 0;
    }
}

/* ---- Recovery ---- */

static int stop_signal(int signal) { return signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU; }

static int has_signal(uint64_t set, int signal) { return (set >> (signal - 1)) & 1; }

/* Writes each original byte back where the byte is still int3, in process `pid`'s memory. */
static long restore_bytes(const struct care *care, int32_t pid) {
    char path[64];
    proc_path(path, sizeof path, pid, 0, "mem");
    int fd = open_path(path, 2 /* O_RDWR */);
    if (fd < 0) return 0;
    long restored = 0;
    for (uint64_t i = 0; care->breakpoints.words && i < care->breakpoints.capacity; i++) {
        const uint64_t *entry = care->breakpoints.words + 3 * i;
        if (entry[0] == 0 || entry[2] != 0) continue;   /* empty, or removed */
        uint8_t byte = 0;
        if (raw4(NR_pread64, fd, &byte, 1, (long)entry[0]) != 1 || byte != 0xCC) continue;
        byte = (uint8_t)entry[1];
        if (raw4(NR_pwrite64, fd, &byte, 1, (long)entry[0]) == 1) restored++;
    }
    raw1(NR_close, fd);
    return restored;
}

/* Fork children of the process still held by the tracer carry the int3 bytes in their copy
 * of the memory: restored too. */
static void restore_held_children(struct guardian *guardian, const struct care *care) {
    struct number_list list;
    if (number_list_open(&list, "/proc") < 0) return;
    int32_t pid;
    while ((pid = number_list_next(&list)) > 0) {
        if (pid == care->pid) continue;
        struct thread_status status;
        if (read_thread_status(pid, 0, &status) < 0) continue;
        if (status.group == pid && status.parent == care->pid && status.tracer == guardian->tracer) restore_bytes(care, pid);
    }
    number_list_close(&list);
}

static int is_breakpoint(const struct care *care, uint64_t address) { return table_find(&care->breakpoints, address) != 0; }

/* Where a thread stopped at `pc` in the scratch page belongs: a copy not yet run goes back
 * to the original instruction, one run to the instruction after it. 0: not in the page;
 * -1: in it, at no copy's start or end. */
static int scratch_destination(const struct care *care, uint64_t pc, uint64_t *destination) {
    if (!care->scratch_size || pc < care->scratch || pc >= care->scratch + care->scratch_size + 16) return 0;
    for (uint64_t i = 0; care->slots.words && i < care->slots.capacity; i++) {
        const uint64_t *slot = care->slots.words + 3 * i;
        if (slot[0] == 0) continue;
        if (pc == slot[0]) { *destination = slot[2]; return 1; }
        if (pc == slot[0] + slot[1]) { *destination = slot[2] + slot[1]; return 1; }
    }
    return -1;
}

/* What the tracer published for thread `tid` of `pid`, or 0. */
static const struct clinux_guardian_continuation *continuation_of(const struct guardian *guardian, int32_t pid, int32_t tid) {
    for (uint32_t i = 0; i < guardian->continuation_count; i++) {
        const struct clinux_guardian_continuation *entry = &guardian->continuations[i];
        if (entry->state != 0 && entry->tid == tid && entry->pid == pid) return entry;
    }
    return 0;
}

/* struct user_regs_struct's words in ucontext's gregs order (r8 ... rsp), then eflags. */
static void expected_registers(const uint64_t *user, uint64_t *expected) {
    static const uint8_t order[17] = { 9, 8, 7, 6, 3, 2, 1, 0, 14, 13, 4, 5, 12, 10, 11, 19, 18 };
    for (int i = 0; i < 17; i++) expected[i] = user[order[i]];
}

/* Threads single-stepped by the tracer when it died, and threads with a SIGTRAP pending (an
 * int3 they ran before the bytes were back), stop at their trap in a moment (the held
 * tracer never takes it): waits until they have. */
static void wait_for_traps(struct guardian *guardian, const struct care *care) {
    long long deadline = now_ns() + 200000000LL;
    for (uint32_t i = 0; i < guardian->continuation_count; i++) {
        const struct clinux_guardian_continuation *entry = &guardian->continuations[i];
        if (entry->state != CLINUX_GUARDIAN_STEPPING || entry->pid != care->pid) continue;
        struct thread_stat stat;
        while (read_thread_stat(care->pid, entry->tid, &stat) == 0 && stat.state != 't' && stat.state != 'Z' &&
               stat.state != 'X' && now_ns() < deadline)
            pause_ns(20000);
    }
    struct number_list list;
    char task[64];
    proc_path(task, sizeof task, care->pid, 0, "task");
    if (number_list_open(&list, task) < 0) return;
    int32_t tid;
    while ((tid = number_list_next(&list)) > 0) {
        struct thread_status status;
        struct thread_stat stat;
        while (read_thread_status(care->pid, tid, &status) == 0 && status.tracer == guardian->tracer &&
               has_signal(status.pending, SIGTRAP) && read_thread_stat(care->pid, tid, &stat) == 0 && stat.state != 't' &&
               stat.state != 'Z' && now_ns() < deadline)
            pause_ns(20000);
    }
    number_list_close(&list);
}

/* Looks at each thread the held tracer traces. A SIGTRAP stop the tracer has not waited for
 * (its exit_code still SIGTRAP) or a SIGTRAP pending is delivered at the release; a stop it
 * has waited for (exit_code 0) is let go without a signal, at its rip. Threads of ours in
 * either get a fix: the trap handler applies it (a thread let go without a signal is sent a
 * SIGTRAP so the handler runs); without the handler, those let go are stopped by a SIGSTOP
 * and fixed after the release, and those that take the SIGTRAP are lost. A signal the
 * tracer took from the program (OWED) is sent again. */
static int classify_threads(struct guardian *guardian, const struct care *care, int handler, int *fixes, int *moves,
                            int *group_stopped, struct outcome *outcome) {
    struct number_list list;
    char task[64];
    proc_path(task, sizeof task, care->pid, 0, "task");
    if (number_list_open(&list, task) < 0) return 0;
    int32_t tid;
    while ((tid = number_list_next(&list)) > 0) {
        struct thread_status status;
        struct thread_stat stat;
        if (read_thread_status(care->pid, tid, &status) < 0 || status.tracer != guardian->tracer) continue;
        if (read_thread_stat(care->pid, tid, &stat) < 0) continue;
        outcome->threads++;
        int pending_trap = has_signal(status.pending, SIGTRAP);
        if (stat.state != 't' && !pending_trap) continue;   /* in a system call or waiting: nothing of ours */
        int code = stat.exit_code;
        int signal = code & 0x7f, event = (code >> 8) & 0xff;
        int consumed = stat.state == 't' && code == 0;
        int trap_delivered = pending_trap || (stat.state == 't' && code == SIGTRAP);
        const struct clinux_guardian_continuation *continuation = continuation_of(guardian, care->pid, tid);
        if (stat.state == 't' && event == EVENT_STOP && stop_signal(signal)) *group_stopped = 1;
        if (consumed && continuation && continuation->state == CLINUX_GUARDIAN_OWED) {
            if (raw3(NR_tgkill, care->pid, tid, continuation->signal) == 0) outcome->resent++;
            continue;
        }
        if (!consumed && !trap_delivered) continue;   /* its own signal, or an event: it goes on */
        uint64_t pc = read_thread_pc(care->pid, tid);
        if (!pc) continue;
        struct clinux_guardian_fix fix;
        copy_bytes(&fix, &empty_fix, sizeof fix);
        fix.tid = tid;
        fix.compare = 0;
        fix.pc = pc;
        fix.destination = pc;
        int ours = 0;
        uint64_t destination = 0;
        int in_scratch = scratch_destination(care, pc, &destination);
        int chosen = continuation && continuation->state == CLINUX_GUARDIAN_CHOSEN && continuation->registers[16] == pc;
        if (in_scratch != 0) {
            ours = 1;
            if (in_scratch > 0) fix.destination = destination;
        } else if (is_breakpoint(care, pc - 1)) {
            ours = 1;
            fix.destination = pc - 1;   /* the int3's trap: run the original instruction */
            if (chosen) { fix.compare = 1; expected_registers(continuation->registers, fix.expected); }
        } else if (chosen || (continuation && continuation->state == CLINUX_GUARDIAN_STEPPING)) {
            ours = 1;                   /* where the tracer put it: only its trap flag to clear */
        }
        if (!ours) continue;            /* a trap of the program's own: delivered (or dropped) as it is */
        if (handler) {
            if (*fixes < (int)MAXIMUM_FIXES) {
                copy_bytes(&guardian->fixes[(*fixes)++], &fix, sizeof fix);
                if (consumed) raw3(NR_tgkill, care->pid, tid, SIGTRAP);
                outcome->fixed++;
            } else {
                outcome->lost++;
            }
        } else if (consumed && *moves < MAXIMUM_MOVES) {
            guardian->moves[*moves].pid = care->pid;
            copy_bytes(&guardian->moves[(*moves)++].fix, &fix, sizeof fix);
            raw3(NR_tgkill, care->pid, tid, SIGSTOP);
        } else {
            outcome->lost++;            /* its SIGTRAP is delivered, and nothing catches it */
        }
    }
    number_list_close(&list);
    return 0;
}

/* Writes the fixes into the trap handler's page, the count last. */
static int write_fixes(const struct care *care, const struct clinux_guardian_fix *fixes, int count, int32_t guardian_pid) {
    char path[64];
    proc_path(path, sizeof path, care->pid, 0, "mem");
    int fd = open_path(path, 2 /* O_RDWR */);
    if (fd < 0) return -1;
    long size = (long)count * (long)sizeof *fixes;
    long put = size ? raw4(NR_pwrite64, fd, fixes, size, (long)(care->handler_page + CLINUX_GUARDIAN_PAGE_FIXES)) : 0;
    uint32_t written[2] = { (uint32_t)count, (uint32_t)guardian_pid };   /* the count, then the guardian's pid */
    long counted = raw4(NR_pwrite64, fd, written, sizeof written, (long)(care->handler_page + CLINUX_GUARDIAN_PAGE_FIX_COUNT));
    raw1(NR_close, fd);
    return put == size && counted == (long)sizeof written ? 0 : -1;
}

/* Whether the process catches SIGTRAP (SigCgt): the handler was not replaced by SIG_DFL. */
static int catches_traps(const struct care *care) {
    char path[64], buffer[2048];
    proc_path(path, sizeof path, care->pid, 0, "status");
    if (read_small_file(path, buffer, sizeof buffer) <= 0) return 0;
    const char *value = status_field(buffer, "SigCgt");
    return value && has_signal(parse_hex(value, 0), SIGTRAP);
}

/* Whether the registers are the expected ones (the flags compared on their arithmetic and
 * direction bits), as the trap handler compares them. */
static int same_registers(const uint64_t *user, const uint64_t *expected) {
    uint64_t now[17];
    expected_registers(user, now);
    for (int i = 0; i < 16; i++) if (now[i] != expected[i]) return 0;
    return ((now[16] ^ expected[16]) & 0xDD5) == 0;
}

/* Without the trap handler, after the release: each thread stopped by SIGSTOP before it
 * ran an instruction is seized, given its fix, and detached (which clears the trap flag a
 * single step left). */
static void move_threads(struct move *moves, int count, struct outcome *outcome) {
    for (int i = 0; i < count; i++) {
        struct move *move = &moves[i];
        int32_t tid = move->fix.tid;
        long long deadline = now_ns() + 2000000000LL;
        struct thread_stat stat;
        stat.state = '?';
        while (read_thread_stat(move->pid, tid, &stat) == 0 && stat.state != 'T' && stat.state != 'Z' && now_ns() < deadline)
            pause_ns(20000);
        if (stat.state != 'T' || raw4(NR_ptrace, REQUEST_SEIZE, tid, 0, 0) != 0) { outcome->unmoved++; continue; }
        int wait_status = 0;
        long waited = 0;
        while ((waited = raw4(NR_wait4, tid, &wait_status, WAIT_ALL | WAIT_NOHANG, 0)) == 0 && now_ns() < deadline)
            pause_ns(20000);
        uint64_t registers[REGISTER_WORDS];
        int moved = 0;
        if (waited == tid && raw4(NR_ptrace, REQUEST_GETREGS, tid, 0, registers) == 0 && registers[REGISTER_RIP] == move->fix.pc) {
            uint64_t rip = move->fix.destination;
            if (move->fix.compare && same_registers(registers, move->fix.expected)) rip = move->fix.pc;
            registers[REGISTER_RIP] = rip;
            moved = rip == move->fix.pc || raw4(NR_ptrace, REQUEST_SETREGS, tid, 0, registers) == 0;
        }
        raw4(NR_ptrace, REQUEST_DETACH, tid, 0, 0);
        if (moved) outcome->moved++; else outcome->unmoved++;
    }
}

static void write_report(struct guardian *guardian, const char *what, const struct care *care, const struct outcome *outcome, int held) {
    if (guardian->report < 0) return;
    char line[512];
    struct text text = { line, 0, sizeof line };
    text_add(&text, "guardian ");
    text_add(&text, what);
    if (care) {
        text_add(&text, " pid="); text_number(&text, care->pid);
        text_add(&text, " held="); text_number(&text, held);
        text_add(&text, " handler="); text_number(&text, outcome->handler);
        text_add(&text, " restored="); text_number(&text, outcome->restored);
        text_add(&text, " threads="); text_number(&text, outcome->threads);
        text_add(&text, " fixed="); text_number(&text, outcome->fixed);
        text_add(&text, " moved="); text_number(&text, outcome->moved);
        text_add(&text, " unmoved="); text_number(&text, outcome->unmoved);
        text_add(&text, " resent="); text_number(&text, outcome->resent);
        text_add(&text, " lost="); text_number(&text, outcome->lost);
        text_add(&text, " grouped="); text_number(&text, outcome->grouped);
        text_add(&text, " restore_us="); text_number(&text, outcome->restore_ns / 1000);
        text_add(&text, " total_us="); text_number(&text, outcome->total_ns / 1000);
    }
    text_add(&text, "\n");
    raw3(NR_write, guardian->report, line, text.length);
}

/* The tracer is gone or going: leaves every process in care as it would be untraced.
 * `held`: the tracer thread is stopped at PTRACE_EVENT_EXIT (it is let go here). */
static void recover(struct guardian *guardian, int held) {
    long long start = now_ns();
    read_records(guardian, 0);   /* what was sent before it died */
    struct outcome outcomes[MAXIMUM_PROCESSES];
    int valid[MAXIMUM_PROCESSES], group_stopped[MAXIMUM_PROCESSES], first_move[MAXIMUM_PROCESSES + 1];
    /* 1. The bytes, first of all. */
    for (int i = 0; i < guardian->care_count; i++) {
        struct care *care = &guardian->cares[i];
        copy_bytes(&outcomes[i], &empty_outcome, sizeof outcomes[i]);
        struct thread_stat stat;
        valid[i] = read_thread_stat(care->pid, 0, &stat) == 0 && stat.start_time == care->start_time;
        if (!valid[i]) continue;   /* gone, or its pid reused */
        outcomes[i].restored = restore_bytes(care, care->pid);
        outcomes[i].restore_ns = now_ns() - start;
    }
    /* 2. The threads, while the held tracer keeps them as they are. */
    int moves = 0;
    for (int i = 0; i < guardian->care_count; i++) {
        group_stopped[i] = 0;
        first_move[i] = moves;
        if (!valid[i] || !held) continue;
        struct care *care = &guardian->cares[i];
        restore_held_children(guardian, care);
        wait_for_traps(guardian, care);
        int handler = care->handler_page != 0 && catches_traps(care);
        outcomes[i].handler = handler;
        int fixes = 0;
        classify_threads(guardian, care, handler, &fixes, &moves, &group_stopped[i], &outcomes[i]);
        if (handler && write_fixes(care, guardian->fixes, fixes, guardian->self) != 0) outcomes[i].lost += fixes;
    }
    first_move[guardian->care_count] = moves;
    if (held) {
        /* 3. Let the tracer go: its exit detaches the threads. */
        raw4(NR_ptrace, REQUEST_DETACH, guardian->tracer, 0, 0);
        if (moves > 0) {
            long long deadline = now_ns() + 5000000000LL;
            for (int i = 0; i < guardian->care_count; i++) {
                for (int m = first_move[i]; m < first_move[i + 1]; m++) {
                    struct thread_status status;
                    while (read_thread_status(guardian->cares[i].pid, guardian->moves[m].fix.tid, &status) == 0 &&
                           status.tracer == guardian->tracer && now_ns() < deadline)
                        pause_ns(20000);
                }
            }
        }
        for (int i = 0; i < guardian->care_count; i++) {
            int count = first_move[i + 1] - first_move[i];
            if (!valid[i] || count == 0) continue;
            move_threads(guardian->moves + first_move[i], count, &outcomes[i]);
            if (!group_stopped[i]) {
                raw2(NR_kill, guardian->cares[i].pid, SIGCONT);
                outcomes[i].grouped = 1;
            }
        }
    }
    for (int i = 0; i < guardian->care_count; i++) {
        if (!valid[i]) continue;
        outcomes[i].total_ns = now_ns() - start;
        write_report(guardian, "recovered", &guardian->cares[i], &outcomes[i], held);
    }
}

/* ---- The guardian's loop ---- */

/* The tracer thread stopped or ended (what wait4 said). */
static void tracer_changed(struct guardian *guardian, int status) {
    if ((status & 0xff) != 0x7f) {
        /* Gone without the exit stop (it cannot be held): the threads are loose already. */
        guardian->holds_tracer = 0;
        if (!guardian->dismissing) recover(guardian, 0);
        finish();
    }
    int signal = (status >> 8) & 0xff;
    int event = (status >> 16) & 0xff;
    if (guardian->dismissing) {
        raw4(NR_ptrace, REQUEST_DETACH, guardian->tracer, 0, event == 0 ? signal : 0);
        dismissed(guardian);
    }
    if (event == EVENT_EXIT) {
        recover(guardian, 1);
        finish();
    }
    if (event == EVENT_STOP && stop_signal(signal)) raw4(NR_ptrace, REQUEST_LISTEN, guardian->tracer, 0, 0);
    else raw4(NR_ptrace, REQUEST_CONT, guardian->tracer, 0, event == 0 ? signal : 0);   /* its own signals, passed on */
}

static void guardian_loop(struct guardian *guardian) __attribute__((noreturn));
static void guardian_loop(struct guardian *guardian) {
    for (;;) {
        struct pollfd watched[2] = { { guardian->channel, POLLIN, 0 }, { guardian->signals, POLLIN, 0 } };
        long ready = raw6(NR_ppoll, (long)watched, 2, 0, 0, 8, 0);
        if (ready < 0 && ready != -EINTR) finish();
        if (watched[1].revents) {
            uint8_t drained[128];
            while (raw3(NR_read, guardian->signals, drained, sizeof drained) > 0) {}
        }
        int status = 0;
        long pid;
        while ((pid = raw4(NR_wait4, -1, &status, WAIT_ALL | WAIT_NOHANG, 0)) > 0) {
            if (pid == guardian->tracer) tracer_changed(guardian, status);
        }
        if (watched[0].revents && read_records(guardian, 0) < 0) {
            /* The socket closed. Held: dtrace closed it (a dying tracer keeps it open until
             * it is let go), which dismisses the guardian. Not held: dtrace is gone. */
            if (guardian->holds_tracer && !guardian->dismissing) {
                guardian->dismissing = 1;
                raw4(NR_ptrace, REQUEST_INTERRUPT, guardian->tracer, 0, 0);
                while ((pid = raw4(NR_wait4, guardian->tracer, &status, WAIT_ALL, 0)) == -EINTR) {}
                if (pid == guardian->tracer) tracer_changed(guardian, status);
                finish();
            }
            if (!guardian->holds_tracer && !guardian->dismissing) recover(guardian, 0);
            finish();
        }
    }
}

/* Unmaps what the fork copied of dtrace's anonymous memory (its heap, other threads'
 * stacks): the guardian runs only on its stack and reads only its thread pointer's block
 * and the shared continuations. */
static void drop_inherited_memory(void) {
    uint64_t stack_pointer = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    uint64_t thread_pointer = 0;
    raw2(NR_arch_prctl, 0x1003 /* ARCH_GET_FS */, &thread_pointer);
    const uint64_t capacity = 4ULL << 20;
    char *maps = map_zeroed(capacity);
    if (!maps) return;
    int fd = open_path("/proc/self/maps", 0);
    long length = 0;
    if (fd >= 0) {
        long got;
        while (length < (long)capacity - 1 && (got = raw3(NR_read, fd, maps + length, capacity - 1 - length)) > 0) length += got;
        raw1(NR_close, fd);
    }
    if (length <= 0 || length >= (long)capacity - 1) { raw2(NR_munmap, maps, capacity); return; }
    maps[length] = 0;
    for (const char *line = maps; *line;) {
        const char *at;
        uint64_t start = parse_hex(line, &at);
        uint64_t end = *at == '-' ? parse_hex(at + 1, &at) : 0;
        while (*at == ' ') at++;
        char permissions[4] = { at[0], at[1], at[2], at[3] };
        int field = 0;
        while (*at && *at != '\n' && field < 4) { while (*at && *at != ' ' && *at != '\n') at++; while (*at == ' ') at++; field++; }
        int anonymous = *at == '\n' || *at == 0 || (at[0] == '[' && at[1] == 'h' && at[2] == 'e');   /* no path, or [heap] */
        int keep = stack_pointer - start < end - start || thread_pointer - start < end - start ||
                   (uint64_t)(uintptr_t)maps - start < end - start;
        if (anonymous && !keep && permissions[1] == 'w' && permissions[3] == 'p' && end > start)
            raw2(NR_munmap, start, end - start);
        while (*line && *line != '\n') line++;
        if (*line) line++;
    }
    raw2(NR_munmap, maps, capacity);
}

static void guardian_main(int channel, int report, int32_t tracer,
                          struct clinux_guardian_continuation *continuations, uint32_t continuation_count) __attribute__((noreturn));
static void guardian_main(int channel, int report, int32_t tracer,
                          struct clinux_guardian_continuation *continuations, uint32_t continuation_count) {
    raw4(NR_prctl, PR_SET_NAME, (long)"dtrace-guardian", 0, 0);
    /* Only the socket and the report descriptor stay open. */
    int keep[2] = { channel < report ? channel : report, channel < report ? report : channel };
    int low = 0;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < 0) continue;
        if (keep[i] > low && raw3(NR_close_range, low, keep[i] - 1, 0) != 0)
            for (int fd = low; fd < keep[i]; fd++) raw1(NR_close, fd);
        low = keep[i] + 1;
    }
    if (raw3(NR_close_range, low, ~0U, 0) != 0) for (int fd = low; fd < 4096; fd++) raw1(NR_close, fd);
    drop_inherited_memory();

    struct guardian guardian;
    guardian.channel = channel;
    guardian.report = report;
    guardian.continuations = continuations;
    guardian.continuation_count = continuation_count;
    guardian.tracer = tracer;
    guardian.self = (int32_t)raw0(NR_getpid);
    guardian.holds_tracer = 0;
    guardian.dismissing = 0;
    guardian.care_count = 0;
    guardian.partial_length = 0;
    guardian.moves = map_zeroed(MAXIMUM_MOVES * sizeof(struct move));
    guardian.fixes = map_zeroed(MAXIMUM_FIXES * sizeof(struct clinux_guardian_fix));
    /* SIGCHLD as the kernel starts it: dtrace's SA_NOCLDSTOP (set once a guardian holds it)
     * must not keep the tracer's stops from this guardian's signalfd. */
    struct { uint64_t handler, flags, restorer, mask; } default_child = { 0, 0, 0, 0 };
    raw4(NR_rt_sigaction, SIGCHLD, &default_child, 0, 8);
    uint64_t child_signal = 1ULL << (SIGCHLD - 1);
    guardian.signals = (int)raw4(NR_signalfd4, -1, &child_signal, 8, 04000 /* SFD_NONBLOCK */ | 02000000 /* SFD_CLOEXEC */);
    if (guardian.signals < 0 || !guardian.moves || !guardian.fixes) finish();

    /* Hello (its pid, for PR_SET_PTRACER), then the tracer's go, then the seize. */
    send_record(&guardian, CLINUX_GUARDIAN_HELLO, guardian.self, 0, 0, 0);
    struct clinux_guardian_record go;
    long got;
    while ((got = raw6(NR_recvfrom, channel, (long)&go, sizeof go, MSG_WAITALL, 0, 0)) == -EINTR) {}
    if (got != (long)sizeof go || go.kind != CLINUX_GUARDIAN_HELLO) finish();
    long seized = raw4(NR_ptrace, REQUEST_SEIZE, tracer, 0, OPTION_TRACEEXIT);
    guardian.holds_tracer = seized == 0;
    send_record(&guardian, CLINUX_GUARDIAN_HELLO, guardian.self, (uint64_t)(seized < 0 ? -seized : 0), 0, 0);
    guardian_loop(&guardian);
}

/* ---- The tracer's side ---- */

/* Reads one record within `timeout_ms`: 0, or -1 with errno (ETIMEDOUT, EPIPE at end of file). */
static int receive_record(int fd, struct clinux_guardian_record *record, int timeout_ms) {
    uint8_t *bytes = (uint8_t *)record;
    size_t filled = 0;
    struct timespec begin;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    while (filled < sizeof *record) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - begin.tv_sec) * 1000 + (now.tv_nsec - begin.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) { errno = ETIMEDOUT; return -1; }
        struct pollfd readable = { fd, POLLIN, 0 };
        int ready = poll(&readable, 1, (int)(timeout_ms - elapsed));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return -1;
        if (ready == 0) continue;
        ssize_t got = recv(fd, bytes + filled, sizeof *record - filled, MSG_DONTWAIT);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) return -1;
        if (got == 0) { errno = EPIPE; return -1; }
        filled += (size_t)got;
    }
    return 0;
}

int32_t clinux_guardian_send(int32_t channel, const struct clinux_guardian_record *records, uint32_t count) {
    const uint8_t *bytes = (const uint8_t *)records;
    size_t total = (size_t)count * sizeof *records, sent = 0;
    while (sent < total) {
        ssize_t put = send(channel, bytes + sent, total - sent, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) return -1;
        sent += (size_t)put;
    }
    return 0;
}

int32_t clinux_guardian_exchange(int32_t channel, uint32_t kind, uint64_t cookie, int32_t timeout_ms) {
    struct clinux_guardian_record record = { kind, 0, cookie, 0, 0 };
    if (clinux_guardian_send(channel, &record, 1) != 0) return -1;
    for (;;) {
        struct clinux_guardian_record reply;
        if (receive_record(channel, &reply, timeout_ms) != 0) return -1;
        if (reply.kind == kind && (kind != CLINUX_GUARDIAN_SYNC || reply.a == cookie)) return 0;
    }
}

int32_t clinux_guardian_start(int32_t report, int32_t *channel, int32_t *guardian_pid, int32_t *seize_error,
                              struct clinux_guardian_continuation **continuations) {
    int32_t tracer = (int32_t)syscall(SYS_gettid);
    /* The continuations: shared with the guardian, written by the tracer without a system call. */
    size_t area_size = (size_t)CLINUX_GUARDIAN_CONTINUATIONS * sizeof(struct clinux_guardian_continuation);
    void *area = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) return -1;
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) { int error = errno; munmap(area, area_size); errno = error; return -1; }
    long middle = raw6(NR_clone, SIGCHLD, 0, 0, 0, 0, 0);
    if (middle == 0) {
        /* The first child: every signal blocked (none of dtrace's handlers may run here),
         * a session of its own (no terminal's signals), then the guardian forked and gone. */
        uint64_t all = ~0ULL;
        raw4(NR_rt_sigprocmask, SIG_BLOCK, &all, 0, 8);
        raw1(NR_close, ends[0]);
        raw0(NR_setsid);
        long guardian = raw6(NR_clone, SIGCHLD, 0, 0, 0, 0, 0);
        if (guardian == 0) guardian_main(ends[1], report, tracer, area, CLINUX_GUARDIAN_CONTINUATIONS);
        for (;;) raw1(NR_exit, 0);
    }
    close(ends[1]);
    if (middle < 0) { close(ends[0]); munmap(area, area_size); errno = (int)-middle; return -1; }
    int status;
    while (waitpid((pid_t)middle, &status, __WALL) < 0 && errno == EINTR) {}
    struct clinux_guardian_record hello;
    if (receive_record(ends[0], &hello, 5000) != 0 || hello.kind != CLINUX_GUARDIAN_HELLO) {
        int error = errno;
        close(ends[0]);
        munmap(area, area_size);
        errno = error ? error : EPROTO;
        return -1;
    }
    /* Yama's ptrace_scope 1 lets only an ancestor trace dtrace, unless dtrace says who may. */
    prctl(PR_SET_PTRACER, (unsigned long)hello.pid, 0, 0, 0);
    struct clinux_guardian_record go = { CLINUX_GUARDIAN_HELLO, tracer, 0, 0, 0 };
    struct clinux_guardian_record seized;
    if (clinux_guardian_send(ends[0], &go, 1) != 0 || receive_record(ends[0], &seized, 5000) != 0 || seized.kind != CLINUX_GUARDIAN_HELLO) {
        int error = errno;
        close(ends[0]);
        munmap(area, area_size);
        errno = error ? error : EPROTO;
        return -1;
    }
    /* The guardian traces this thread, so every signal sent to dtrace stops it first, even
     * one dtrace ignores: the SIGCHLD the kernel sends for each stop of dtrace's own tracees
     * would double each stop's context switches (a -p syscall probe cost 40 us a call, not
     * 18). Stops raise no SIGCHLD now; wait4 still wakes, and exits still raise it. */
    struct sigaction child;
    if (sigaction(SIGCHLD, NULL, &child) == 0) {
        child.sa_flags |= SA_NOCLDSTOP;
        sigaction(SIGCHLD, &child, NULL);
    }
    *channel = ends[0];
    *continuations = area;
    *guardian_pid = hello.pid;
    *seize_error = (int32_t)seized.a;
    return 0;
}

int32_t clinux_guardian_handler(const uint8_t **code, uint32_t *length, uint32_t *restorer_offset) {
    *code = clinux_guardian_handler_start;
    *length = (uint32_t)(clinux_guardian_handler_end - clinux_guardian_handler_start);
    *restorer_offset = (uint32_t)(clinux_guardian_handler_restorer - clinux_guardian_handler_start);
    return 0;
}

#else

int32_t clinux_guardian_handler(const uint8_t **code, uint32_t *length, uint32_t *restorer_offset) {
    (void)code; (void)length; (void)restorer_offset;
    errno = ENOSYS;
    return -1;
}

int32_t clinux_guardian_start(int32_t report, int32_t *channel, int32_t *guardian_pid, int32_t *seize_error,
                              struct clinux_guardian_continuation **continuations) {
    (void)report; (void)channel; (void)guardian_pid; (void)seize_error; (void)continuations;
    errno = ENOSYS;
    return -1;
}
int32_t clinux_guardian_send(int32_t channel, const struct clinux_guardian_record *records, uint32_t count) {
    (void)channel; (void)records; (void)count;
    errno = ENOSYS;
    return -1;
}
int32_t clinux_guardian_exchange(int32_t channel, uint32_t kind, uint64_t cookie, int32_t timeout_ms) {
    (void)channel; (void)kind; (void)cookie; (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}


#endif

void clinux_guardian_publish(struct clinux_guardian_continuation *entry, int32_t pid, int32_t tid, uint32_t state,
                             int32_t signal, const uint64_t registers[27]) {
    __atomic_store_n(&entry->state, 0, __ATOMIC_RELEASE);
    entry->pid = pid;
    entry->tid = tid;
    entry->signal = signal;
    if (registers) for (int i = 0; i < 27; i++) entry->registers[i] = registers[i];
    __atomic_store_n(&entry->state, state, __ATOMIC_RELEASE);
}

void clinux_guardian_withdraw(struct clinux_guardian_continuation *entry) {
    __atomic_store_n(&entry->state, 0, __ATOMIC_RELEASE);
}
