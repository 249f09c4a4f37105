/* CLinux: wrappers over syscall(2), ptrace(2), bpf(2), perf_event_open(2) and ioctl(2),
 * with the kernel's own structure definitions. See clinux.h. */
#define _GNU_SOURCE
#include "clinux.h"
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/user.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

int64_t clinux_gettid(void) { return (int64_t)syscall(SYS_gettid); }

/* A descriptor that polls readable once the process has exited (Linux 5.3+), or -1. */
int32_t clinux_pidfd_open(int32_t pid) {
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
    return (int32_t)syscall(SYS_pidfd_open, pid, 0);
}

int32_t clinux_current_cpu(void) { return (int32_t)sched_getcpu(); }

int32_t clinux_run_on_cpu(int32_t cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

int32_t clinux_get_affinity(void *set, uint32_t size) { return sched_getaffinity(0, size, (cpu_set_t *)set); }

int32_t clinux_set_affinity(const void *set, uint32_t size) { return sched_setaffinity(0, size, (const cpu_set_t *)set); }

void clinux_atomic_subtract(uint64_t *address, uint64_t amount) { __atomic_fetch_sub(address, amount, __ATOMIC_SEQ_CST); }

int64_t clinux_ptrace(int32_t request, int32_t pid, uint64_t addr, uint64_t data) {
    return (int64_t)ptrace((enum __ptrace_request)request, (pid_t)pid, (void *)addr, (void *)data);
}

/* Reads exactly `size` bytes from `descriptor` (retrying EINTR); 0, or -1 at EOF or error. */
static int read_fully(int descriptor, void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(descriptor, (char *)buffer + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        done += (size_t)got;
    }
    return 0;
}

/* The held child's side of a filter release: the instruction count and the program that
 * follow the marker on the gate, into the child's own copy of `gate_program`. Returns the
 * count, or 0 with *error set. */
static struct sock_filter gate_program[CLINUX_GATE_FILTER_MAXIMUM];

static uint32_t read_gate_filter(int gate, int *error) {
    uint32_t count = 0;
    if (read_fully(gate, &count, sizeof(count)) != 0) { *error = EPROTO; return 0; }
    if (count == 0 || count > CLINUX_GATE_FILTER_MAXIMUM) { *error = EINVAL; return 0; }
    if (read_fully(gate, gate_program, count * sizeof(struct sock_filter)) != 0) { *error = EPROTO; return 0; }
    return count;
}

/* Installs the program (seccomp(2), or prctl(2) PR_SET_SECCOMP on kernels without the
 * call); only when the kernel refuses for want of CAP_SYS_ADMIN (EACCES) is no_new_privs
 * set and the install tried again. Returns 0 or an errno. */
static int install_gate_filter(uint32_t count) {
    struct sock_fprog filter = { .len = (unsigned short)count, .filter = gate_program };
    for (int attempt = 0; attempt < 2; attempt++) {
        long result;
#ifdef SYS_seccomp
        result = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter);
        if (result != 0 && errno == ENOSYS)
#endif
            result = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0);
        if (result == 0) return 0;
        int error = errno;
        if (error != EACCES || attempt > 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return error;
    }
    return EACCES;
}

int64_t clinux_write_all_without_sigpipe(int32_t descriptor, const void *bytes, uint64_t count) {
    sigset_t pipe_signal, saved, pending;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &saved);
    uint64_t done = 0;
    int error = 0;
    while (done < count) {
        ssize_t written = write(descriptor, (const char *)bytes + done, count - done);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) { error = written < 0 ? errno : EIO; break; }
        done += (uint64_t)written;
    }
    if (error == EPIPE && !was_pending) {
        struct timespec now = { 0, 0 };
        while (sigtimedwait(&pipe_signal, NULL, &now) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (error != 0) { errno = error; return -1; }
    return (int64_t)done;
}

int32_t clinux_spawn_gated(char *const argv[], int32_t gate, int32_t gate_writer, struct clinux_gate_report *report) {
    pid_t pid = fork();
    if (pid != 0) return (int32_t)pid;
    /* The child: only async-signal-safe calls until exec (dtrace has threads). */
    close(gate_writer);
    unsigned char byte = 0;
    ssize_t got;
    while ((got = read(gate, &byte, 1)) < 0 && errno == EINTR) {}
    if (got == 1 && byte == CLINUX_GATE_FILTER_MARKER) {
        int error = 0;
        uint32_t count = read_gate_filter(gate, &error);
        close(gate);
        /* Every call from here to exec may be one the filter sends to the tracer (or, with
         * no tracer, fails with ENOSYS): the outcome goes to the parent through memory. */
        if (count > 0) error = install_gate_filter(count);
        if (report) {
            report->error = error;
            __atomic_store_n(&report->state, error == 0 ? CLINUX_GATE_FILTER_INSTALLED : CLINUX_GATE_FILTER_REFUSED, __ATOMIC_RELEASE);
        }
    } else if (got == 1 && byte == CLINUX_GATE_STOP_MARKER) {
        close(gate);
        /* Stopped by kill(2) itself, not raise(3), whose signal-mask calls would run once
         * continued: the stop comes as kill returns, after its system-call exit, so from
         * SIGCONT on the next system call is the exec. */
        kill(getpid(), SIGSTOP);
    } else {
        close(gate);
    }
    execvp(argv[0], argv);
    _exit(127);
}

static int32_t bpf_call(int cmd, union bpf_attr *attr) {
    return (int32_t)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int32_t clinux_bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                              uint32_t flags, const char *name) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_type = type;
    attr.key_size = key_size;
    attr.value_size = value_size;
    attr.max_entries = max_entries;
    attr.map_flags = flags;
    if (name) strncpy(attr.map_name, name, sizeof(attr.map_name) - 1);
    return bpf_call(BPF_MAP_CREATE, &attr);
}

int32_t clinux_bpf_prog_load(uint32_t type, const void *instructions, uint32_t count, const char *name,
                             char *log, uint32_t log_size, uint32_t log_level) {
    return clinux_bpf_prog_load_btf(type, 0, 0, instructions, count, name, log, log_size, log_level, -1, NULL, 0);
}

int32_t clinux_bpf_prog_load_btf(uint32_t type, uint32_t expected_attach_type, uint32_t attach_btf_id, const void *instructions, uint32_t count, const char *name,
                                 char *log, uint32_t log_size, uint32_t log_level,
                                 int32_t btf_fd, const void *func_info, uint32_t func_info_count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = type;
    attr.expected_attach_type = expected_attach_type;
    attr.attach_btf_id = attach_btf_id;   /* a typed program's target in the kernel's own BTF */
    attr.insns = (uint64_t)(uintptr_t)instructions;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    if (log && log_size > 0) {
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = log_size;
        attr.log_level = log_level;
    }
    if (name) strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
    if (btf_fd >= 0 && func_info_count > 0) {
        attr.prog_btf_fd = (uint32_t)btf_fd;
        attr.func_info_rec_size = 8;
        attr.func_info = (uint64_t)(uintptr_t)func_info;
        attr.func_info_cnt = func_info_count;
    }
    return bpf_call(BPF_PROG_LOAD, &attr);
}

int32_t clinux_bpf_btf_load(const void *data, uint32_t size, char *log, uint32_t log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.btf = (uint64_t)(uintptr_t)data;
    attr.btf_size = size;
    if (log && log_size > 0) {
        attr.btf_log_buf = (uint64_t)(uintptr_t)log;
        attr.btf_log_size = log_size;
        attr.btf_log_level = 1;
    }
    return bpf_call(BPF_BTF_LOAD, &attr);
}

int32_t clinux_bpf_raw_tracepoint_open(const char *name, int32_t program_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.raw_tracepoint.name = (uint64_t)(uintptr_t)name;   /* NULL: a typed (tp_btf) program's own target */
    attr.raw_tracepoint.prog_fd = (uint32_t)program_fd;
    return bpf_call(BPF_RAW_TRACEPOINT_OPEN, &attr);
}

/* BPF_LINK_CREATE of a uprobe_multi link, laid out by hand: the system's linux/bpf.h
   may predate it (Linux 6.6). attach_type BPF_TRACE_UPROBE_MULTI = 48; flags
   BPF_F_UPROBE_MULTI_RETURN = 1 for return probes. */
int32_t clinux_bpf_link_create_uprobe_multi(int32_t program_fd, const char *path, const uint64_t *offsets,
                                            const uint64_t *reference_counter_offsets, const uint64_t *cookies,
                                            uint32_t count, uint32_t flags, uint32_t pid) {
    uint8_t attr[sizeof(union bpf_attr) > 128 ? sizeof(union bpf_attr) : 128];
    memset(attr, 0, sizeof(attr));
    uint32_t prog = (uint32_t)program_fd, attach_type = 48;
    uint64_t path_address = (uint64_t)(uintptr_t)path, offsets_address = (uint64_t)(uintptr_t)offsets;
    uint64_t references_address = (uint64_t)(uintptr_t)reference_counter_offsets, cookies_address = (uint64_t)(uintptr_t)cookies;
    memcpy(attr + 0, &prog, 4);
    memcpy(attr + 8, &attach_type, 4);
    memcpy(attr + 16, &path_address, 8);
    memcpy(attr + 24, &offsets_address, 8);
    memcpy(attr + 32, &references_address, 8);
    memcpy(attr + 40, &cookies_address, 8);
    memcpy(attr + 48, &count, 4);
    memcpy(attr + 52, &flags, 4);
    memcpy(attr + 56, &pid, 4);
    return (int32_t)syscall(__NR_bpf, 28 /* BPF_LINK_CREATE */, attr, 64);
}

int32_t clinux_membarrier_global(void) { return (int32_t)syscall(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0); }

static int32_t map_element(int cmd, int32_t fd, const void *key, const void *value, uint64_t flags) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.value = (uint64_t)(uintptr_t)value;
    attr.flags = flags;
    return bpf_call(cmd, &attr);
}

int32_t clinux_bpf_map_lookup(int32_t fd, const void *key, void *value) { return map_element(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0); }
int32_t clinux_bpf_map_update(int32_t fd, const void *key, const void *value, uint64_t flags) { return map_element(BPF_MAP_UPDATE_ELEM, fd, key, value, flags); }
int32_t clinux_bpf_map_delete(int32_t fd, const void *key) { return map_element(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0); }
int32_t clinux_bpf_map_next_key(int32_t fd, const void *key, void *next_key) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.next_key = (uint64_t)(uintptr_t)next_key;
    return bpf_call(BPF_MAP_GET_NEXT_KEY, &attr);
}

int32_t clinux_bpf_map_lookup_batch(int32_t fd, uint32_t *in_batch, uint32_t *out_batch, void *keys, void *values, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.batch.map_fd = (uint32_t)fd;
    attr.batch.in_batch = (uint64_t)(uintptr_t)in_batch;
    attr.batch.out_batch = (uint64_t)(uintptr_t)out_batch;
    attr.batch.keys = (uint64_t)(uintptr_t)keys;
    attr.batch.values = (uint64_t)(uintptr_t)values;
    attr.batch.count = *count;
    int32_t status = bpf_call(BPF_MAP_LOOKUP_BATCH, &attr);
    *count = attr.batch.count;
    return status;
}

int32_t clinux_bpf_prog_test_run_raw(int32_t fd, const uint64_t *arguments, uint32_t count, int32_t cpu, uint32_t *result) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    if (cpu >= 0) {
        attr.test.flags = BPF_F_TEST_RUN_ON_CPU;
        attr.test.cpu = (uint32_t)cpu;
    }
    attr.test.prog_fd = (uint32_t)fd;
    attr.test.ctx_in = (uint64_t)(uintptr_t)arguments;
    attr.test.ctx_size_in = count * sizeof(uint64_t);
    int32_t status = bpf_call(BPF_PROG_TEST_RUN, &attr);
    if (status == 0 && result) *result = attr.test.retval;
    return status;
}

static int32_t perf_open(struct perf_event_attr *attr, int32_t cpu) {
    attr->size = sizeof(*attr);
    return (int32_t)syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int32_t clinux_perf_open_tracepoint(uint64_t id, int32_t cpu) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = id;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    attr.disabled = 1;
    return perf_open(&attr, cpu);
}

int32_t clinux_perf_open_cpu_clock(uint64_t period_ns, int32_t cpu) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = period_ns;
    attr.disabled = 1;
    /* The event's own ring (when mapped) gets only the kernel's throttle records (the BPF
       program returns 0: no sample is written); any record wakes a poll of it. */
    attr.watermark = 1;
    attr.wakeup_watermark = 1;
    return perf_open(&attr, cpu);
}

int32_t clinux_perf_set_period(int32_t perf_fd, uint64_t period) {
    return ioctl(perf_fd, PERF_EVENT_IOC_PERIOD, &period);
}

int32_t clinux_perf_take_throttles(void *ring, uint64_t data_size) {
    struct perf_event_mmap_page *meta = ring;
    const char *data = (const char *)ring + meta->data_offset;
    uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = meta->data_tail;
    int32_t throttles = 0;
    while (tail + sizeof(struct perf_event_header) <= head) {
        struct perf_event_header header;
        unsigned char *bytes = (unsigned char *)&header;
        for (size_t index = 0; index < sizeof header; index++) bytes[index] = data[(tail + index) % data_size];
        if (header.size < sizeof header) break;
        /* A record lost to a full ring may have been a throttle. */
        if (header.type == PERF_RECORD_THROTTLE || header.type == PERF_RECORD_LOST) throttles++;
        tail += header.size;
    }
    __atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
    return throttles;
}

/* A uprobe or kprobe perf event of a dynamic PMU (its type from
   /sys/bus/event_source/devices/{uprobe,kprobe}/type): config bit 0 asks for a return
   probe, config bits 32-63 carry a uprobe's reference counter (USDT semaphore) offset,
   config1 the file path (uprobe) or function name (kprobe), config2 the offset. */
int32_t clinux_perf_open_dynamic_probe(uint32_t pmu_type, int32_t returns, const char *name, uint64_t offset,
                                       uint64_t reference_counter_offset, int32_t pid, int32_t cpu) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = pmu_type;
    attr.config = (returns ? 1 : 0) | (reference_counter_offset << 32);
    attr.config1 = (uint64_t)(uintptr_t)name;
    attr.config2 = offset;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    attr.disabled = 1;
    return (int32_t)syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* BPF_LINK_CREATE of a perf-event link carrying a BPF cookie (attach type
   BPF_PERF_EVENT = 41; perf_event.bpf_cookie at offset 16), then the event enabled. */
int32_t clinux_bpf_link_create_perf_event(int32_t program_fd, int32_t perf_fd, uint64_t cookie) {
    uint8_t attr[sizeof(union bpf_attr) > 128 ? sizeof(union bpf_attr) : 128];
    memset(attr, 0, sizeof(attr));
    uint32_t prog = (uint32_t)program_fd, target = (uint32_t)perf_fd, attach_type = 41;
    memcpy(attr + 0, &prog, 4);
    memcpy(attr + 4, &target, 4);
    memcpy(attr + 8, &attach_type, 4);
    memcpy(attr + 16, &cookie, 8);
    int32_t link = (int32_t)syscall(__NR_bpf, 28 /* BPF_LINK_CREATE */, attr, 64);
    if (link < 0) return -1;
    if (ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0) < 0) { int saved = errno; close(link); errno = saved; return -1; }
    return link;
}

int32_t clinux_perf_attach_bpf(int32_t perf_fd, int32_t program_fd) {
    if (ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, program_fd) < 0) return -1;
    return ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
}

int32_t clinux_perf_open_hardware_cycles(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return (int32_t)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

#if defined(__x86_64__)
int32_t clinux_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    uint32_t a = leaf, b, c = subleaf, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    registers[0] = a; registers[1] = b; registers[2] = c; registers[3] = d;
    return 0;
}

static __thread sigjmp_buf *forced_cpuid_escape;

static void forced_cpuid_sigill(int signal_number) {
    (void)signal_number;
    if (forced_cpuid_escape) siglongjmp(*forced_cpuid_escape, 1);
}

/* The SIGILL action is process-wide: two threads swapping it at once could each put back
 * the other's handler, leaving ours installed for good or the original one in place while
 * a ud2 is about to run. One probe at a time. */
static pthread_mutex_t forced_cpuid_lock = PTHREAD_MUTEX_INITIALIZER;

static int32_t forced_cpuid_locked(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]);

int32_t clinux_cpuid_xen_forced(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    pthread_mutex_lock(&forced_cpuid_lock);
    int32_t status = forced_cpuid_locked(leaf, subleaf, registers);
    pthread_mutex_unlock(&forced_cpuid_lock);
    return status;
}

static int32_t forced_cpuid_locked(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    struct sigaction action, previous;
    memset(&action, 0, sizeof(action));
    action.sa_handler = forced_cpuid_sigill;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGILL, &action, &previous) != 0) return -1;
    sigjmp_buf escape;
    volatile int32_t status = -1;
    if (sigsetjmp(escape, 1) == 0) {
        forced_cpuid_escape = &escape;
        uint32_t a = leaf, b, c = subleaf, d;
        __asm__ volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e\n\tcpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
        registers[0] = a; registers[1] = b; registers[2] = c; registers[3] = d;
        status = 0;
    }
    forced_cpuid_escape = NULL;
    sigaction(SIGILL, &previous, NULL);
    return status;
}

/* mov $1,%eax (5 bytes); add $2,%eax; exit_group(42). Never called: a traced child's
 * program counter is pointed here. */
__asm__(".text\n"
        ".globl clinux_step_sequence_start\n"
        ".type clinux_step_sequence_start, @function\n"
        "clinux_step_sequence_start:\n"
        "\tmov $1, %eax\n"
        "clinux_step_sequence_second:\n"
        "\tadd $2, %eax\n"
        "clinux_step_sequence_third:\n"
        "\tmov $231, %eax\n"
        "\tmov $42, %edi\n"
        "\tsyscall\n"
        "\tud2\n"
        ".size clinux_step_sequence_start, . - clinux_step_sequence_start\n");
extern char clinux_step_sequence_start[], clinux_step_sequence_second[], clinux_step_sequence_third[];

int32_t clinux_step_sequence(uint64_t addresses[3]) {
    addresses[0] = (uint64_t)(uintptr_t)clinux_step_sequence_start;
    addresses[1] = (uint64_t)(uintptr_t)clinux_step_sequence_second;
    addresses[2] = (uint64_t)(uintptr_t)clinux_step_sequence_third;
    return 0;
}

int32_t clinux_ptrace_read_registers(int32_t pid, uint64_t *program_counter, uint64_t *accumulator, uint64_t *flags) {
    struct user_regs_struct registers;
    if (ptrace(PTRACE_GETREGS, (pid_t)pid, NULL, &registers) != 0) return -1;
    *program_counter = registers.rip;
    *accumulator = registers.rax;
    *flags = registers.eflags;
    return 0;
}

int32_t clinux_ptrace_set_program_counter(int32_t pid, uint64_t program_counter) {
    struct user_regs_struct registers;
    if (ptrace(PTRACE_GETREGS, (pid_t)pid, NULL, &registers) != 0) return -1;
    registers.rip = program_counter;
    registers.orig_rax = (unsigned long long)-1;
    return ptrace(PTRACE_SETREGS, (pid_t)pid, NULL, &registers) == 0 ? 0 : -1;
}
#else
int32_t clinux_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) { (void)leaf; (void)subleaf; (void)registers; return -1; }
int32_t clinux_cpuid_xen_forced(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) { (void)leaf; (void)subleaf; (void)registers; return -1; }
int32_t clinux_step_sequence(uint64_t addresses[3]) { (void)addresses; return -1; }
int32_t clinux_ptrace_read_registers(int32_t pid, uint64_t *program_counter, uint64_t *accumulator, uint64_t *flags) {
    (void)pid; (void)program_counter; (void)accumulator; (void)flags; errno = ENOSYS; return -1;
}
int32_t clinux_ptrace_set_program_counter(int32_t pid, uint64_t program_counter) { (void)pid; (void)program_counter; errno = ENOSYS; return -1; }
#endif

int32_t clinux_spawn_step_child(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return (int32_t)pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) _exit(2);
    raise(SIGSTOP);
    for (;;) pause();
}

uint64_t clinux_load_acquire_u64(const void *address) { return __atomic_load_n((const uint64_t *)address, __ATOMIC_ACQUIRE); }
uint32_t clinux_load_acquire_u32(const void *address) { return __atomic_load_n((const uint32_t *)address, __ATOMIC_ACQUIRE); }
void clinux_store_release_u64(void *address, uint64_t value) { __atomic_store_n((uint64_t *)address, value, __ATOMIC_RELEASE); }

int32_t clinux_close_in_background(int32_t *fds, uint32_t count) {
    pid_t child = fork();
    if (child != 0) return (int32_t)child;
    /* The child: only async-signal-safe calls from here on. */
    setsid();
    prctl(PR_SET_NAME, (unsigned long)"dtrace-detach", 0, 0, 0);
    for (uint32_t i = 1; i < count; i++) {          /* sort the (private) copy of the list */
        int32_t value = fds[i];
        uint32_t j = i;
        while (j > 0 && fds[j - 1] > value) { fds[j] = fds[j - 1]; j--; }
        fds[j] = value;
    }
    unsigned int next = 0;
    for (uint32_t i = 0; i <= count; i++) {
        unsigned int end = i < count ? (unsigned int)fds[i] : ~0U;
        if (end > next) {
            unsigned int last = i < count ? end - 1 : ~0U;
#ifdef SYS_close_range
            if (syscall(SYS_close_range, next, last, 0) != 0)
#endif
            {
                for (unsigned int fd = next; fd <= last && fd < 65536; fd++) close((int)fd);
            }
        }
        if (i < count) next = (unsigned int)fds[i] + 1;
    }
    for (uint32_t i = 0; i < count; i++) close(fds[i]);
    _exit(0);
}

/* ---- Tracee control for the ptrace engine ---- */

int32_t clinux_spawn_held(char *const argv[], int32_t gate, int32_t gate_writer, int32_t report, int32_t report_reader) {
    pid_t pid = fork();
    if (pid != 0) return (int32_t)pid;
    /* The child: only async-signal-safe calls until exec. */
    close(gate_writer);
    close(report_reader);
    char byte;
    ssize_t got;
    while ((got = read(gate, &byte, 1)) < 0 && errno == EINTR) {}
    if (got != 1) _exit(127);
    close(gate);
    /* The command starts with no signal blocked, as from a shell, whatever the thread
     * that forked it had blocked. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    int error = errno;
    ssize_t written = write(report, &error, sizeof(error));
    (void)written;
    _exit(127);
}

static void deadline_signal_handler(int signal_number) { (void)signal_number; }

static pthread_once_t deadline_handler_once = PTHREAD_ONCE_INIT;
static int deadline_signal_number;

static void install_deadline_handler(void) {
    deadline_signal_number = SIGRTMAX - 2;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = deadline_signal_handler;  /* no SA_RESTART: the wait returns EINTR */
    sigemptyset(&action.sa_mask);
    sigaction(deadline_signal_number, &action, NULL);
}

static int64_t monotonic_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* One wait attempt: > 0 found, 0 nothing (only when nohang), -1 error (errno). */
typedef int32_t (*wait_attempt)(void *context, int nohang);

/* Runs `attempt` until it finds something, fails, or the deadline passes. A blocking
 * attempt with a deadline is interrupted by a thread-directed timer signal that re-fires
 * every millisecond after the deadline, so a signal arriving just before the attempt
 * blocks cannot leave it blocked. */
static int32_t wait_until(int64_t deadline_ns, wait_attempt attempt, void *context) {
    int32_t found = attempt(context, 1);
    if (found != 0) return found;
    if (deadline_ns >= 0 && monotonic_now() >= deadline_ns) return 0;
    if (deadline_ns < 0) {
        for (;;) {
            found = attempt(context, 0);
            if (found >= 0 || errno != EINTR) return found;
        }
    }
    pthread_once(&deadline_handler_once, install_deadline_handler);
    sigset_t deadline_only, previous;
    sigemptyset(&deadline_only);
    sigaddset(&deadline_only, deadline_signal_number);
    pthread_sigmask(SIG_BLOCK, &deadline_only, &previous);
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = deadline_signal_number;
    event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) {
        int error = errno;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
        errno = error;
        return -1;
    }
    struct itimerspec when;
    memset(&when, 0, sizeof(when));
    when.it_value.tv_sec = deadline_ns / 1000000000LL;
    when.it_value.tv_nsec = deadline_ns % 1000000000LL;
    when.it_interval.tv_nsec = 1000000;
    timer_settime(timer, TIMER_ABSTIME, &when, NULL);
    pthread_sigmask(SIG_UNBLOCK, &deadline_only, NULL);
    int error = 0;
    for (;;) {
        found = attempt(context, 0);
        if (found >= 0) break;
        if (errno != EINTR) { error = errno; break; }
        if (monotonic_now() >= deadline_ns) { found = 0; break; }
    }
    pthread_sigmask(SIG_BLOCK, &deadline_only, NULL);
    timer_delete(timer);
    struct timespec no_time = { 0, 0 };
    while (sigtimedwait(&deadline_only, NULL, &no_time) == deadline_signal_number) {}
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    errno = error;
    return found;
}

struct news_context { int32_t pid; int32_t found_pid; int32_t kind; };

static int32_t attempt_news(void *opaque, int nohang) {
    struct news_context *context = opaque;
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    int options = WEXITED | WNOWAIT | __WALL | __WNOTHREAD | (nohang ? WNOHANG : 0);
    if (waitid(context->pid < 0 ? P_ALL : P_PID, (id_t)(context->pid < 0 ? 0 : context->pid), &info, options) != 0) return -1;
    if (info.si_pid == 0) return 0;
    context->found_pid = info.si_pid;
    context->kind = info.si_code;
    return 1;
}

int32_t clinux_wait_news(int32_t pid, int64_t deadline_ns, int32_t *found_pid, int32_t *kind) {
    struct news_context context = { pid, 0, 0 };
    int32_t result = wait_until(deadline_ns, attempt_news, &context);
    if (result > 0) { *found_pid = context.found_pid; *kind = context.kind; }
    return result;
}

struct status_context { int32_t pid; int32_t status; };

static int32_t attempt_status(void *opaque, int nohang) {
    struct status_context *context = opaque;
    int status = 0;
    pid_t found = waitpid(context->pid, &status, __WALL | __WNOTHREAD | (nohang ? WNOHANG : 0));
    if (found <= 0) return (int32_t)found;
    context->status = status;
    return (int32_t)found;
}

int32_t clinux_wait_status(int32_t pid, int64_t deadline_ns, int32_t *status) {
    struct status_context context = { pid, 0 };
    int32_t result = wait_until(deadline_ns, attempt_status, &context);
    if (result > 0) *status = context.status;
    return result;
}

/* One blocking wait for `pid` (-1: any child) that returns -1 with EINTR when a signal
 * handler ran (the wake timer's included), instead of restarting. */
int32_t clinux_wait_status_interruptible(int32_t pid, int32_t *status) {
    int raw = 0;
    pid_t found = waitpid(pid, &raw, __WALL | __WNOTHREAD);
    if (found > 0) *status = raw;
    return (int32_t)found;
}

static void wake_signal_handler(int signal_number) { (void)signal_number; }
static __thread timer_t wake_timer;
static __thread int wake_timer_armed;

/* A periodic timer directed at the calling thread whose signal (handled, not restarting)
 * interrupts its blocking waits every `period_ns`: a loop that blocks in waits without a
 * deadline still looks at its flags that often, and a signal that arrived just before it
 * blocked cannot leave it blocked. */
int32_t clinux_wake_timer_start(int64_t period_ns) {
    if (wake_timer_armed) return 0;
    int number = SIGRTMAX - 3;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = wake_signal_handler;  /* no SA_RESTART */
    sigemptyset(&action.sa_mask);
    if (sigaction(number, &action, NULL) != 0) return -1;
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = number;
    event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &event, &wake_timer) != 0) return -1;
    struct itimerspec when;
    memset(&when, 0, sizeof(when));
    when.it_value.tv_sec = period_ns / 1000000000LL;
    when.it_value.tv_nsec = period_ns % 1000000000LL;
    when.it_interval = when.it_value;
    if (timer_settime(wake_timer, 0, &when, NULL) != 0) { timer_delete(wake_timer); return -1; }
    wake_timer_armed = 1;
    return 0;
}

/* Moves the wake timer's next signal to `deadline_ns` (CLOCK_MONOTONIC), then every
 * millisecond until it is moved again — a wait that began just after the deadline's
 * signal is interrupted a millisecond later — or, with a negative deadline, back to every
 * `period_ns`. One timer_settime: a loop with timers need not arm a timer per wait. */
int32_t clinux_wake_timer_move(int64_t deadline_ns, int64_t period_ns) {
    if (!wake_timer_armed) { errno = EINVAL; return -1; }
    struct itimerspec when;
    memset(&when, 0, sizeof(when));
    if (deadline_ns < 0) {
        when.it_value.tv_sec = period_ns / 1000000000LL;
        when.it_value.tv_nsec = period_ns % 1000000000LL;
        when.it_interval = when.it_value;
        return timer_settime(wake_timer, 0, &when, NULL);
    }
    if (deadline_ns == 0) deadline_ns = 1;   /* 0 would disarm it */
    when.it_value.tv_sec = deadline_ns / 1000000000LL;
    when.it_value.tv_nsec = deadline_ns % 1000000000LL;
    when.it_interval.tv_nsec = 1000000;
    return timer_settime(wake_timer, TIMER_ABSTIME, &when, NULL);
}

void clinux_wake_timer_stop(void) {
    if (!wake_timer_armed) return;
    timer_delete(wake_timer);
    wake_timer_armed = 0;
}

#if defined(__x86_64__)
_Static_assert(sizeof(struct user_regs_struct) == 27 * sizeof(uint64_t), "user_regs_struct is 27 words");

int32_t clinux_ptrace_get_registers(int32_t tid, uint64_t words[27]) {
    struct user_regs_struct registers;
    if (ptrace(PTRACE_GETREGS, (pid_t)tid, NULL, &registers) != 0) return -1;
    memcpy(words, &registers, sizeof(registers));
    return 0;
}

int32_t clinux_ptrace_set_registers(int32_t tid, const uint64_t words[27]) {
    struct user_regs_struct registers;
    memcpy(&registers, words, sizeof(registers));
    return ptrace(PTRACE_SETREGS, (pid_t)tid, NULL, &registers) == 0 ? 0 : -1;
}
#else
int32_t clinux_ptrace_get_registers(int32_t tid, uint64_t words[27]) { (void)tid; (void)words; errno = ENOSYS; return -1; }
int32_t clinux_ptrace_set_registers(int32_t tid, const uint64_t words[27]) { (void)tid; (void)words; errno = ENOSYS; return -1; }
#endif

int32_t clinux_ptrace_peek_user(int32_t tid, uint64_t offset, uint64_t *value) {
    errno = 0;
    long word = ptrace(PTRACE_PEEKUSER, (pid_t)tid, (void *)(uintptr_t)offset, NULL);
    if (word == -1 && errno != 0) return -1;
    *value = (uint64_t)word;
    return 0;
}

int32_t clinux_ptrace_poke_user(int32_t tid, uint64_t offset, uint64_t value) {
    return ptrace(PTRACE_POKEUSER, (pid_t)tid, (void *)(uintptr_t)offset, (void *)(uintptr_t)value) == 0 ? 0 : -1;
}

int32_t clinux_ptrace_event_message(int32_t tid, uint64_t *message) {
    unsigned long value = 0;
    if (ptrace(PTRACE_GETEVENTMSG, (pid_t)tid, NULL, &value) != 0) return -1;
    *message = (uint64_t)value;
    return 0;
}

_Static_assert(sizeof(siginfo_t) == 128, "siginfo_t is 128 bytes");

int32_t clinux_ptrace_signal_info(int32_t tid, int32_t fields[4], uint64_t *address, uint8_t raw[128]) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (ptrace(PTRACE_GETSIGINFO, (pid_t)tid, NULL, &info) != 0) return -1;
    fields[0] = info.si_signo;
    fields[1] = info.si_code;
    fields[2] = info.si_errno;
    fields[3] = info.si_pid;
    *address = (uint64_t)(uintptr_t)info.si_addr;
    memcpy(raw, &info, sizeof(info));
    return 0;
}

int32_t clinux_ptrace_set_signal_info(int32_t tid, const uint8_t raw[128]) {
    siginfo_t info;
    memcpy(&info, raw, sizeof(info));
    return ptrace(PTRACE_SETSIGINFO, (pid_t)tid, NULL, &info) == 0 ? 0 : -1;
}

/* struct ptrace_syscall_info (linux/ptrace.h), laid out here: the C library's headers
 * may predate it. */
struct syscall_info_layout {
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t stack_pointer;
    union {
        struct { uint64_t nr; uint64_t args[6]; } entry;
        struct { int64_t rval; uint8_t is_error; } exit;
        struct { uint64_t nr; uint64_t args[6]; uint32_t ret_data; } seccomp;
    } u;
};

int32_t clinux_ptrace_syscall_info(int32_t tid, uint64_t out[10]) {
    struct syscall_info_layout info;
    memset(&info, 0, sizeof(info));
    if (ptrace((enum __ptrace_request)0x420e /* PTRACE_GET_SYSCALL_INFO */, (pid_t)tid, (void *)sizeof(info), &info) < 0) return -1;
    memset(out, 0, 10 * sizeof(uint64_t));
    out[0] = info.op;
    if (info.op == 1 || info.op == 3) {
        out[1] = info.u.entry.nr;
        for (int i = 0; i < 6; i++) out[2 + i] = info.u.entry.args[i];
        if (info.op == 3) out[8] = info.u.seccomp.ret_data;
    } else if (info.op == 2) {
        out[8] = (uint64_t)info.u.exit.rval;
        out[9] = info.u.exit.is_error;
    }
    return 0;
}

int64_t clinux_process_read(int32_t pid, uint64_t address, void *buffer, uint64_t count) {
    struct iovec local = { buffer, (size_t)count };
    struct iovec remote = { (void *)(uintptr_t)address, (size_t)count };
    return (int64_t)process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
}

int64_t clinux_process_write(int32_t pid, uint64_t address, const void *buffer, uint64_t count) {
    struct iovec local = { (void *)buffer, (size_t)count };
    struct iovec remote = { (void *)(uintptr_t)address, (size_t)count };
    return (int64_t)process_vm_writev((pid_t)pid, &local, 1, &remote, 1, 0);
}

int32_t clinux_same_address_space(int32_t pid, int32_t other_pid) {
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
    long result = syscall(SYS_kcmp, (pid_t)pid, (pid_t)other_pid, 1 /* KCMP_VM */, 0UL, 0UL);
    if (result < 0) return -1;
    return result == 0 ? 1 : 0;
}

int32_t clinux_tgkill(int32_t tgid, int32_t tid, int32_t signal) {
    return (int32_t)syscall(SYS_tgkill, tgid, tid, signal);
}
