/* CLinux: the few Linux calls Swift cannot make directly (variadic syscall(2),
 * ptrace(2), ioctl(2)), the kernel ABI structures Swift should not lay out by hand
 * (bpf_attr, perf_event_attr), the acquire/release loads and stores a BPF ring
 * buffer consumer needs, and the guardian of -p targets (guardian.c), which must run
 * without the C library after a fork. Every function here is a thin wrapper; errors are returned
 * as -1 with errno set, exactly like the call it wraps. */
#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>
#include <sys/types.h>

/* gettid(2) through syscall(2). */
int64_t clinux_gettid(void);

/* The CPU the calling thread runs on, or -1. */
int32_t clinux_current_cpu(void);
/* Binds the calling thread to one CPU: 0, or -1 with errno. */
int32_t clinux_run_on_cpu(int32_t cpu);
/* The calling thread's CPU affinity mask (`size` bytes), read or set: 0, or -1 with errno. */
int32_t clinux_get_affinity(void *set, uint32_t size);
int32_t clinux_set_affinity(const void *set, uint32_t size);
/* Subtracts `amount` from the u64 at `address` atomically (memory a BPF program shares). */
void clinux_atomic_subtract(uint64_t *address, uint64_t amount);

/* ptrace(2) with its four arguments spelled out. */
int64_t clinux_ptrace(int32_t request, int32_t pid, uint64_t addr, uint64_t data);

/* write(2) of all `count` bytes (retrying EINTR and short writes) with SIGPIPE blocked in
 * the calling thread, and the SIGPIPE a closed reader raises taken back: a pipe whose
 * reader is gone is EPIPE, not the end of the process. Returns count, or -1 with errno. */
int64_t clinux_write_all_without_sigpipe(int32_t descriptor, const void *bytes, uint64_t count);

/* Where a held child says what became of the seccomp filter it was released with: memory
 * shared with the parent (MAP_SHARED), since once the filter is in, any system call may
 * stop or fail. `state` is stored last, with release order. */
struct clinux_gate_report {
    uint32_t state;  /* CLINUX_GATE_FILTER_* */
    int32_t error;   /* for REFUSED: the errno */
};
#define CLINUX_GATE_FILTER_NONE 0       /* no filter dealt with (yet) */
#define CLINUX_GATE_FILTER_INSTALLED 1  /* in place; the child goes on to exec */
#define CLINUX_GATE_FILTER_REFUSED 2    /* not installed; the child execs without it */

/* fork(2) + execvp(3) of argv (dtrace -c), the child first waiting at `gate` (a pipe's
 * read end; it closes `gate_writer`). The gate protocol:
 *   - EOF, or any first byte but the markers: exec at once (a plain release);
 *   - CLINUX_GATE_STOP_MARKER: close the gate and stop (SIGSTOP, sent by kill(2) itself),
 *     then exec when continued (SIGCONT): the system calls of the gate are done before
 *     the stop, so probes enabled while it is stopped see nothing of them — the first
 *     system call after SIGCONT is the command's exec;
 *   - CLINUX_GATE_FILTER_MARKER, a u32 instruction count (native order, 1..MAXIMUM), then
 *     that many struct sock_filter (8 bytes each): the child installs the program as a
 *     seccomp filter (setting no_new_privs only if the kernel refuses without it: EACCES),
 *     says how that went in `report` (if not NULL; a short or oversized program is
 *     REFUSED with EPROTO or EINVAL) and execs either way.
 * If execvp fails the child exits 127. Returns the pid or -1. */
#define CLINUX_GATE_FILTER_MARKER 0x53  /* 'S' */
#define CLINUX_GATE_STOP_MARKER 0x54    /* 'T' */
#define CLINUX_GATE_FILTER_MAXIMUM 4096
int32_t clinux_spawn_gated(char *const argv[], int32_t gate, int32_t gate_writer, struct clinux_gate_report *report);
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
int32_t clinux_bpf_prog_load_btf(uint32_t type, uint32_t expected_attach_type, uint32_t attach_btf_id, const void *instructions, uint32_t count, const char *name,
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
/* BPF_MAP_LOOKUP_BATCH of a hash map: up to *count entries from the position in_batch names
   (NULL: the start), the next position in out_batch; *count becomes how many were copied.
   0, or -1 with errno (ENOENT: the last entries were copied). */
int32_t clinux_bpf_map_lookup_batch(int32_t fd, uint32_t *in_batch, uint32_t *out_batch, void *keys, void *values, uint32_t *count);
int32_t clinux_bpf_map_next_key(int32_t fd, const void *key, void *next_key);
/* bpf(2) BPF_PROG_TEST_RUN of a raw tracepoint program with `count` u64 arguments. */
/* cpu < 0: the calling CPU; otherwise that CPU (BPF_F_TEST_RUN_ON_CPU). */
int32_t clinux_bpf_prog_test_run_raw(int32_t fd, const uint64_t *arguments, uint32_t count, int32_t cpu, uint32_t *result);

/* perf_event_open(2) of a tracepoint (by its tracefs id) on one CPU, all processes. */
int32_t clinux_perf_open_tracepoint(uint64_t id, int32_t cpu);
/* perf_event_open(2) of the software cpu-clock event sampling every period_ns on one CPU. */
int32_t clinux_perf_open_cpu_clock(uint64_t period_ns, int32_t cpu);
/* PERF_EVENT_IOC_PERIOD: a sampling event's period set again (a throttled event restarts). */
int32_t clinux_perf_set_period(int32_t perf_fd, uint64_t period);
/* The PERF_RECORD_THROTTLE (and PERF_RECORD_LOST) records in a mapped perf ring (its metadata page at `ring`,
   `data_size` bytes of data after it), every record released. */
int32_t clinux_perf_take_throttles(void *ring, uint64_t data_size);
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

/* Tracee control for the ptrace engine (DTracePtrace through DTraceSystem's
 * PtraceThread, TraceeWait and ProcessMemory). Every ptrace(2) request must come from
 * the thread that seized the tracee; waits see only the calling thread's children and
 * tracees (__WNOTHREAD). */

/* fork(2) + execvp(3) of argv for a command traced from its first instruction: the
 * child closes `gate_writer` and `report_reader`, waits until `gate` (a pipe's read end)
 * yields a byte — at EOF (dtrace is gone before it could trace the child) it exits 127
 * without running the command — then execs with no signal blocked; if execvp fails it writes its errno (4
 * bytes) to `report` (close-on-exec) and exits 127. Returns the pid or -1. */
int32_t clinux_spawn_held(char *const argv[], int32_t gate, int32_t gate_writer, int32_t report, int32_t report_reader);

/* Waits until a tracee or child of the calling thread has news (a ptrace stop or an
 * exit) without consuming it (waitid WNOWAIT | __WALL | __WNOTHREAD): `pid` -1 for any,
 * else that one. `deadline_ns` is CLOCK_MONOTONIC; < 0 waits without limit; a deadline
 * already passed only looks. Returns 1 with *found_pid and *kind (CLD_TRAPPED,
 * CLD_EXITED...), 0 when the deadline came first, -1 with errno (ECHILD: none to wait
 * for). A wait with a deadline is interrupted by a timer signal (SIGRTMAX - 2, handled by
 * an empty handler; blocked again and drained before returning). */
int32_t clinux_wait_news(int32_t pid, int64_t deadline_ns, int32_t *found_pid, int32_t *kind);
/* Consumes a tracee's or child's news, waitpid(pid, __WALL | __WNOTHREAD): returns the
 * pid with *status, 0 when the deadline came first (as above), -1 with errno. */
int32_t clinux_wait_status(int32_t pid, int64_t deadline_ns, int32_t *status);
int32_t clinux_wait_status_interruptible(int32_t pid, int32_t *status);
int32_t clinux_wake_timer_start(int64_t period_ns);
int32_t clinux_wake_timer_move(int64_t deadline_ns, int64_t period_ns);
void clinux_wake_timer_stop(void);

/* PTRACE_GETREGS / PTRACE_SETREGS as struct user_regs_struct's 27 u64 words in the
 * kernel's order (r15 ... gs). */
int32_t clinux_ptrace_get_registers(int32_t tid, uint64_t words[27]);
int32_t clinux_ptrace_set_registers(int32_t tid, const uint64_t words[27]);
/* PTRACE_PEEKUSER / PTRACE_POKEUSER of one word of struct user at `offset` bytes. */
int32_t clinux_ptrace_peek_user(int32_t tid, uint64_t offset, uint64_t *value);
int32_t clinux_ptrace_poke_user(int32_t tid, uint64_t offset, uint64_t value);
/* PTRACE_GETEVENTMSG: a ptrace event's message (new thread or child id, former thread
 * id at exec, seccomp data). */
int32_t clinux_ptrace_event_message(int32_t tid, uint64_t *message);
/* PTRACE_GETSIGINFO: fields[0..3] = si_signo, si_code, si_errno, si_pid; *address =
 * si_addr; `raw` (128 bytes) the whole siginfo_t, for PTRACE_SETSIGINFO later. */
int32_t clinux_ptrace_signal_info(int32_t tid, int32_t fields[4], uint64_t *address, uint8_t raw[128]);
int32_t clinux_ptrace_set_signal_info(int32_t tid, const uint8_t raw[128]);
/* PTRACE_GET_SYSCALL_INFO (Linux 5.3+) flattened: out[0] op (0 none, 1 entry, 2 exit,
 * 3 seccomp), out[1] number (entry, seccomp), out[2..7] arguments, out[8] return value
 * (exit; seccomp: SECCOMP_RET_DATA), out[9] is_error (exit). */
int32_t clinux_ptrace_syscall_info(int32_t tid, uint64_t out[10]);
/* process_vm_readv(2) / process_vm_writev(2) of one range: bytes moved, or -1. */
int64_t clinux_process_read(int32_t pid, uint64_t address, void *buffer, uint64_t count);
int64_t clinux_process_write(int32_t pid, uint64_t address, const void *buffer, uint64_t count);
/* kcmp(2) KCMP_VM: 1 when the two processes share one address space (a vfork child and
 * its parent), 0 when not, -1 with errno. */
int32_t clinux_same_address_space(int32_t pid, int32_t other_pid);
/* tgkill(2). */
int32_t clinux_tgkill(int32_t tgid, int32_t tid, int32_t signal);

/* The guardian of the processes the calling thread traces (-p): see guardian.c. */

/* One record on the guardian's socket (32 bytes). */
enum clinux_guardian_kind {
    CLINUX_GUARDIAN_HELLO = 1,       /* the handshake (guardian: its pid, then a = seize errno; tracer: go) */
    CLINUX_GUARDIAN_WATCH = 2,       /* pid in its care; a = its start time (/proc/PID/stat field 22) */
    CLINUX_GUARDIAN_FORGET = 3,      /* pid's breakpoints, scratch page, copies and trap handler gone (exec) */
    CLINUX_GUARDIAN_RELEASE = 4,     /* pid no longer in its care (detached, or ended) */
    CLINUX_GUARDIAN_BREAKPOINT = 5,  /* a = address, b = original byte: sent before the int3 is written */
    CLINUX_GUARDIAN_REMOVED = 6,     /* a = address: its original byte is back (a trap there may be in flight) */
    CLINUX_GUARDIAN_SCRATCH = 7,     /* a = address, b = size of the scratch page (0: unmapped) */
    CLINUX_GUARDIAN_SLOT = 8,        /* a = scratch address, b = length, c = original address of a copy */
    CLINUX_GUARDIAN_HANDLER = 9,     /* a = the trap handler's page in pid (0: none) */
    CLINUX_GUARDIAN_SYNC = 10,       /* echoed back with the same a: what came before has been read */
    CLINUX_GUARDIAN_DISMISS = 11,    /* let the tracer go and exit; echoed back once done */
};

struct clinux_guardian_record {
    uint32_t kind;
    int32_t pid;
    uint64_t a;
    uint64_t b;
    uint64_t c;
};

/* What the tracer publishes about a thread it has stopped, in memory shared with the
 * guardian (no system call), before it acts and withdrawn once it resumes the thread. */
enum clinux_guardian_state {
    CLINUX_GUARDIAN_CHOSEN = 1,      /* registers: set by the tracer (a displaced instruction emulated or stepped) */
    CLINUX_GUARDIAN_STEPPING = 2,    /* a single step (PTRACE_SINGLESTEP) is under way */
    CLINUX_GUARDIAN_OWED = 3,        /* signal: taken from the program at a stop, to deliver on resume */
};

struct clinux_guardian_continuation {
    uint32_t state;
    int32_t pid;
    int32_t tid;
    int32_t signal;
    uint64_t registers[27];          /* struct user_regs_struct */
};
#define CLINUX_GUARDIAN_CONTINUATIONS 4096

/* The trap handler's page in a traced process: the handler's code at 0 (its restorer, for
 * a program action without one, at the offset clinux_guardian_handler returns), the
 * program's own SIGTRAP action (struct kernel_sigaction: handler, flags, restorer, mask),
 * the number of fixes, the guardian's pid (u32 each) and the fixes the guardian writes
 * when dtrace dies. */
#define CLINUX_GUARDIAN_PAGE_SIZE 65536
#define CLINUX_GUARDIAN_PAGE_ACTION 0x400
#define CLINUX_GUARDIAN_PAGE_FIX_COUNT 0x420
#define CLINUX_GUARDIAN_PAGE_GUARDIAN 0x424
#define CLINUX_GUARDIAN_PAGE_FIXES 0x440

/* For thread `tid` stopped at rip `pc`: rip = destination, unless `compare` and its
 * registers (ucontext gregs r8 ... rsp, then eflags) are `expected`. */
struct clinux_guardian_fix {
    int32_t tid;
    uint32_t compare;
    uint64_t pc;
    uint64_t destination;
    uint64_t expected[17];
};

/* The trap handler's code (position-independent, x86-64): its bytes and length, and its
 * restorer's offset. Returns 0, or -1 elsewhere. */
int32_t clinux_guardian_handler(const uint8_t **code, uint32_t *length, uint32_t *restorer_offset);

/* Starts the guardian of the calling thread: forked twice (init is its parent), in a
 * session of its own, every signal blocked, every descriptor but its socket and `report`
 * (-1: none; it writes one line per recovery there) closed. It traces the calling thread
 * with PTRACE_O_TRACEEXIT (after PR_SET_PTRACER for Yama). Returns 0 with the tracer's end
 * of the socket (close-on-exec), the guardian's pid, the errno of its PTRACE_SEIZE (0: it
 * holds the thread at its exit) and the shared continuations; -1 with errno. */
int32_t clinux_guardian_start(int32_t report, int32_t *channel, int32_t *guardian_pid, int32_t *seize_error,
                              struct clinux_guardian_continuation **continuations);
/* Sends records (no SIGPIPE): 0, or -1 with errno. */
int32_t clinux_guardian_send(int32_t channel, const struct clinux_guardian_record *records, uint32_t count);
/* Sends a SYNC (with `cookie`) or DISMISS record and waits for its echo: 0, or -1 with
 * errno (ETIMEDOUT, EPIPE). */
int32_t clinux_guardian_exchange(int32_t channel, uint32_t kind, uint64_t cookie, int32_t timeout_ms);
/* Publishes what the tracer knows of a stopped thread (`registers` for CHOSEN, `signal`
 * for OWED); withdraws it. */
void clinux_guardian_publish(struct clinux_guardian_continuation *entry, int32_t pid, int32_t tid, uint32_t state,
                             int32_t signal, const uint64_t registers[27]);
void clinux_guardian_withdraw(struct clinux_guardian_continuation *entry);

/* Ordered loads and stores for the ring buffer's producer/consumer positions. */
uint64_t clinux_load_acquire_u64(const void *address);
uint32_t clinux_load_acquire_u32(const void *address);
void clinux_store_release_u64(void *address, uint64_t value);

#endif
