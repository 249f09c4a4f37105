/* CLinux: the few Linux calls Swift cannot make directly (variadic syscall(2),
 * ptrace(2)). Every function here is a thin, non-variadic wrapper; errors are
 * returned as -1 with errno set, exactly like the call it wraps. */
#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>
#include <sys/types.h>

/* gettid(2) through syscall(2). */
int64_t clinux_gettid(void);

/* The CPU the calling thread runs on, or -1. */
int32_t clinux_current_cpu(void);

/* ptrace(2) with its four arguments spelled out. */
int64_t clinux_ptrace(int32_t request, int32_t pid, uint64_t addr, uint64_t data);

#endif
