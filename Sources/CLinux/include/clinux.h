/* CLinux: the few Linux calls Swift cannot make directly (variadic syscall(2),
 * ptrace(2), ioctl(2)), the kernel ABI structures Swift should not lay out by hand
 * (bpf_attr, perf_event_attr), and the acquire/release loads and stores a BPF ring
 * buffer consumer needs. Every function here is a thin wrapper; errors are returned
 * as -1 with errno set, exactly like the call it wraps. */
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

/* fork(2) + execvp(3) of argv, the child first waiting until `gate` (a pipe's read end)
 * yields a byte or EOF; `gate_writer` is closed in the child. Returns the pid or -1. */
int32_t clinux_spawn_gated(char *const argv[], int32_t gate, int32_t gate_writer);
int32_t clinux_pidfd_open(int32_t pid);

/* Forks a child that keeps only the given descriptors (it closes every other one it
 * inherited, detaches into a session of its own), closes them — slowly: closing a
 * tracepoint perf event with a BPF program waits an RCU grace period — and exits. The
 * caller's own copies then close at once. Returns the child's pid, or -1 (no child). */
int32_t clinux_close_in_background(int32_t *fds, uint32_t count);

/* bpf(2) BPF_MAP_CREATE. */
int32_t clinux_bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                              uint32_t flags, const char *name);
/* bpf(2) BPF_PROG_LOAD with a GPL license; the verifier log goes to `log` when log_size > 0. */
int32_t clinux_bpf_prog_load(uint32_t type, const void *instructions, uint32_t count, const char *name,
                             char *log, uint32_t log_size, uint32_t log_level);
/* bpf(2) BPF_PROG_LOAD as above, with BTF function information (func_info records of
 * {instruction offset, BTF type id}, 8 bytes each), which programs with callback
 * subprograms (bpf_loop) need. */
int32_t clinux_bpf_prog_load_btf(uint32_t type, uint32_t expected_attach_type, const void *instructions, uint32_t count, const char *name,
                                 char *log, uint32_t log_size, uint32_t log_level,
                                 int32_t btf_fd, const void *func_info, uint32_t func_info_count);
/* bpf(2) BPF_BTF_LOAD of a raw BTF blob. */
int32_t clinux_bpf_btf_load(const void *data, uint32_t size, char *log, uint32_t log_size);
/* bpf(2) BPF_RAW_TRACEPOINT_OPEN: attaches a raw-tracepoint program; returns the link fd. */
int32_t clinux_bpf_raw_tracepoint_open(const char *name, int32_t program_fd);
int32_t clinux_perf_open_dynamic_probe(uint32_t pmu_type, int32_t returns, const char *name, uint64_t offset,
                                       uint64_t reference_counter_offset, int32_t pid, int32_t cpu);
int32_t clinux_bpf_link_create_perf_event(int32_t program_fd, int32_t perf_fd, uint64_t cookie);
int32_t clinux_bpf_link_create_uprobe_multi(int32_t program_fd, const char *path, const uint64_t *offsets,
                                            const uint64_t *reference_counter_offsets, const uint64_t *cookies,
                                            uint32_t count, uint32_t flags, uint32_t pid);
/* membarrier(2) MEMBARRIER_CMD_GLOBAL: returns after an RCU grace period. */
int32_t clinux_membarrier_global(void);
/* bpf(2) map element commands. */
int32_t clinux_bpf_map_lookup(int32_t fd, const void *key, void *value);
int32_t clinux_bpf_map_update(int32_t fd, const void *key, const void *value, uint64_t flags);
int32_t clinux_bpf_map_delete(int32_t fd, const void *key);
int32_t clinux_bpf_map_next_key(int32_t fd, const void *key, void *next_key);
/* bpf(2) BPF_PROG_TEST_RUN of a raw tracepoint program with `count` u64 arguments. */
int32_t clinux_bpf_prog_test_run_raw(int32_t fd, const uint64_t *arguments, uint32_t count, uint32_t *result);

/* perf_event_open(2) of a tracepoint (by its tracefs id) on one CPU, all processes. */
int32_t clinux_perf_open_tracepoint(uint64_t id, int32_t cpu);
/* perf_event_open(2) of the software cpu-clock event sampling every period_ns on one CPU. */
int32_t clinux_perf_open_cpu_clock(uint64_t period_ns, int32_t cpu);
/* Attaches a BPF program to a perf event and enables it. */
int32_t clinux_perf_attach_bpf(int32_t perf_fd, int32_t program_fd);

/* perf_event_open(2) of the hardware cpu-cycles counter for the calling process, to
 * learn whether a hardware PMU is there (Xen PV and many clouds have none). */
int32_t clinux_perf_open_hardware_cycles(void);

/* CPUID leaf/subleaf into registers[0..3] = eax, ebx, ecx, edx. Returns 0, or -1 where
 * the architecture has no CPUID. */
int32_t clinux_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]);
/* CPUID through Xen's forced-emulation prefix (ud2; .ascii "xen"; cpuid): a Xen PV guest
 * sees Xen's own leaves; anywhere else the prefix raises SIGILL, caught here (the previous
 * SIGILL disposition is restored). Returns 0, or -1 when it raised SIGILL. */
int32_t clinux_cpuid_xen_forced(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]);

/* The single-step self-test's scratch child: fork(2); the child asks to be traced
 * (PTRACE_TRACEME), dies with its parent, stops itself with SIGSTOP and waits there.
 * The tracer then points its program counter at clinux_step_sequence(). Returns the pid. */
int32_t clinux_spawn_step_child(void);
/* Addresses of the instruction sequence the child runs: [0] its start (mov $1,%eax),
 * [1] the second instruction (add $2,%eax), [2] the third (exit_group(42)). Returns 0,
 * or -1 where there is no such sequence for this architecture. */
int32_t clinux_step_sequence(uint64_t addresses[3]);
/* A stopped tracee's program counter, accumulator (eax/x0) and flags register. */
int32_t clinux_ptrace_read_registers(int32_t pid, uint64_t *program_counter, uint64_t *accumulator, uint64_t *flags);
/* Sets a stopped tracee's program counter (and cancels any system call restart). */
int32_t clinux_ptrace_set_program_counter(int32_t pid, uint64_t program_counter);

/* Ordered loads and stores for the ring buffer's producer/consumer positions. */
uint64_t clinux_load_acquire_u64(const void *address);
uint32_t clinux_load_acquire_u32(const void *address);
void clinux_store_release_u64(void *address, uint64_t value);

#endif
