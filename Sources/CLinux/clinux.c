/* CLinux: wrappers over syscall(2), ptrace(2), bpf(2), perf_event_open(2) and ioctl(2),
 * with the kernel's own structure definitions. See clinux.h. */
#define _GNU_SOURCE
#include "clinux.h"
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int64_t clinux_gettid(void) { return (int64_t)syscall(SYS_gettid); }

int32_t clinux_current_cpu(void) { return (int32_t)sched_getcpu(); }

int64_t clinux_ptrace(int32_t request, int32_t pid, uint64_t addr, uint64_t data) {
    return (int64_t)ptrace((enum __ptrace_request)request, (pid_t)pid, (void *)addr, (void *)data);
}

int32_t clinux_spawn_gated(char *const argv[], int32_t gate, int32_t gate_writer) {
    pid_t pid = fork();
    if (pid != 0) return (int32_t)pid;
    close(gate_writer);
    char byte;
    while (read(gate, &byte, 1) < 0) {}
    close(gate);
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
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = type;
    attr.insns = (uint64_t)(uintptr_t)instructions;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    if (log && log_size > 0) {
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = log_size;
        attr.log_level = log_level;
    }
    if (name) strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
    return bpf_call(BPF_PROG_LOAD, &attr);
}

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

int32_t clinux_bpf_prog_test_run_raw(int32_t fd, const uint64_t *arguments, uint32_t count, uint32_t *result) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
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
    return perf_open(&attr, cpu);
}

int32_t clinux_perf_attach_bpf(int32_t perf_fd, int32_t program_fd) {
    if (ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, program_fd) < 0) return -1;
    return ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
}

uint64_t clinux_load_acquire_u64(const void *address) { return __atomic_load_n((const uint64_t *)address, __ATOMIC_ACQUIRE); }
uint32_t clinux_load_acquire_u32(const void *address) { return __atomic_load_n((const uint32_t *)address, __ATOMIC_ACQUIRE); }
void clinux_store_release_u64(void *address, uint64_t value) { __atomic_store_n((uint64_t *)address, value, __ATOMIC_RELEASE); }
