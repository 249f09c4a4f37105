/* CLinux: non-variadic wrappers over syscall(2) and ptrace(2). See clinux.h. */
#define _GNU_SOURCE
#include "clinux.h"
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int64_t clinux_gettid(void) { return (int64_t)syscall(SYS_gettid); }

int32_t clinux_current_cpu(void) { return (int32_t)sched_getcpu(); }

int64_t clinux_ptrace(int32_t request, int32_t pid, uint64_t addr, uint64_t data) {
    return (int64_t)ptrace((enum __ptrace_request)request, (pid_t)pid, (void *)addr, (void *)data);
}
