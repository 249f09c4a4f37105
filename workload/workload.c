/* workload/workload.c: the one program with a known load that dtrace is tried on — by the
 * kernel-engine tests (Tests/DTraceCLITests), the benchmarks (bench/) and the Xen PV
 * guest checks (harness/xen-pv/). The mode is the first argument:
 *   workload getpid N         exactly N getpid() system calls, printing nothing
 *   workload timed-getpid N   the same, then prints loop_ns=<ns the loop took>
 *   workload stack N          N getpid() calls from its own function traced_getpid, each
 *                             with arg0 = traced_getpid + 1, 2 or 3 in turn (a user address
 *                             to name), then lives 100 ms more (dtrace reads its mappings)
 *   workload badclose N       N close(-1) calls (each fails with EBADF)
 *   workload overwrite N      N write()s to /dev/null of a 64-byte buffer of '-' (a tracer
 *                             may overwrite it: copyout), then prints the buffer with each
 *                             NUL before its last byte shown as '|'
 *   workload sleep MS         sleeps MS milliseconds
 *   workload paced RATE SECS  getpid() at RATE calls per second for SECS seconds
 *   workload now              prints start_ns=<CLOCK_MONOTONIC at start>, then one getpid()
 *   workload calls N          N calls of sum8(i, 1, 2, 3, 4, 5, 60, 70) (i = 0..N-1; returns
 *                             i + 145; arguments 7 and 8 on the stack), of plain_sum(i, 2)
 *                             (no endbr64 even when built with -fcf-protection) and of
 *                             libc's labs(-i); prints calls_ns=<ns the loop took> when
 *                             N > 1000000 (bench/)
 *   workload threads T N      T threads making N calls of sum8 in all, each checking every
 *                             result; prints threads=T bad=<wrong results> and fails if any
 *   workload signals N        N calls of sum8, each followed by a SIGUSR1 to itself; prints
 *                             handled=<signals its handler saw> sigtrap=<SIGTRAPs received>
 *   workload reexec N         N calls of sum8, then execs itself as `workload calls N`
 *   workload forks N          forks a child that makes N calls of sum8 and exits 3, makes
 *                             N calls itself, then prints child=<its exit status> and
 *                             sigtrap=<SIGTRAPs this process received>
 *   workload directio PATH SIZE N
 *                             creates PATH and writes N blocks of SIZE bytes with O_DIRECT
 *                             (SIZE a multiple of 4096), fdatasync()s, reads them back with
 *                             O_DIRECT and removes PATH (unless it is a device); prints
 *                             wrote=<bytes> read=<bytes>, and io_ns=<ns the writes and
 *                             reads took> when N > 1000 (bench/io.sh)
 *   workload freshpaths N ROUNDS
 *                             writes N paths /nonexistent/fresh-<round>-<i> (each at the
 *                             start of its own page) to a file, then ROUNDS times maps it
 *                             afresh (MAP_PRIVATE: no page of it in the page tables yet) and
 *                             calls open() on each path where it lies in the mapping, so each
 *                             call's path is in a page the process has never touched (the
 *                             kernel faults it in); prints opens=<calls> enoent=<ENOENT
 *                             results>
 *   workload freshopen PATH    open()s PATH from a page of its own it has never touched
 *                             (it blocks when PATH is a FIFO no one writes); prints opened=<fd>
 *   workload badpath          openat() of a path at an address just unmapped; prints
 *                             errno=<its errno> (EFAULT, 14)
 *   workload contend T SECS [DIR]
 *                             T threads for SECS seconds, each in turn writing one byte to
 *                             a shared pipe and reading one back (the pipe's mutex) and
 *                             appending to a shared file (the inode's rw_semaphore): a byte
 *                             to one in /dev/shm, or with DIR 4096 bytes with O_DIRECT to
 *                             one in DIR (on a disk: the appends hold the semaphore while
 *                             the device writes, so the others sleep on it); kernel lock
 *                             contention for lockstat
 * Its name is what the tests expect of execname and in stacks ("workload`traced_getpid",
 * then "workload`main"). For user stacks build it with frame pointers:
 *   cc -O1 -fno-omit-frame-pointer -fcf-protection=full -o workload workload/workload.c
 *                                        (tests: functions begin with endbr64, as distributions
 *                                        build them; add -static for the Xen PV guest)
 *   cc -O2 -o workload workload/workload.c                           (bench/) */
#define _GNU_SOURCE 1 /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

__attribute__((noinline)) void step(void) { __asm__ volatile ("" ::: "memory"); }

__attribute__((noinline)) long traced_getpid(long offset) {
    long result;
    step(); /* not a leaf: it keeps a frame, so main is the next frame */
    char *argument = (char *)traced_getpid + offset;
    __asm__ volatile ("syscall" : "=a"(result) : "a"((long)SYS_getpid), "D"(argument) : "rcx", "r11", "memory");
    return result;
}

/* For pid probes: eight arguments (two on the stack), a known return value. */
__attribute__((noipa)) long sum8(long a, long b, long c, long d, long e, long f, long g, long h) {
    return a + b + c + d + e + f + g + h;
}

/* A function that starts with push %rbp (never endbr64): its entry is emulated by uprobes. */
#ifdef __CET__
#define WITHOUT_ENDBR __attribute__((nocf_check))
#else
#define WITHOUT_ENDBR
#endif
static long calls_per_thread;

static void *checked_calls(void *argument) {
    long id = (long)argument, bad = 0;
    for (long i = 0; i < calls_per_thread; i++)
        if (sum8(i, id, 2, 3, 4, 5, 60, 70) != i + id + 144) bad++;
    return (void *)bad;
}

static volatile sig_atomic_t sigtraps, sigusr1s;
static void count_sigusr1(int signal_number) { (void)signal_number; sigusr1s++; }
static void count_sigtrap(int signal_number) { (void)signal_number; sigtraps++; }

__attribute__((noipa)) WITHOUT_ENDBR long plain_sum(long a, long b) {
    step(); /* not a leaf: it keeps a frame */
    return a + b;
}

static int contend_pipe[2], contend_file;
static long contend_size = 1;
static char *contend_buffer;
static volatile long long contend_until;

static void *contend(void *argument) {
    (void)argument;
    char byte = 'x';
    long rounds = 0;
    while (now_ns() < contend_until) {
        for (int i = 0; i < 16; i++) {
            if (write(contend_pipe[1], &byte, 1) != 1 || read(contend_pipe[0], &byte, 1) != 1) return (void *)1;
            if (write(contend_file, contend_buffer, contend_size) != contend_size) return (void *)1;
        }
        if (++rounds % 16 == 0 && ftruncate(contend_file, 0) != 0) return (void *)1;
    }
    return (void *)0;
}

static void sleep_ms(long ms) {
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&pause, 0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    long n = argc > 2 ? atol(argv[2]) : 0;
    if (strcmp(mode, "getpid") == 0) {
        for (long i = 0; i < n; i++) syscall(SYS_getpid);
        return 0;
    }
    if (strcmp(mode, "timed-getpid") == 0) {
        long long start = now_ns();
        for (long i = 0; i < n; i++) syscall(SYS_getpid);
        printf("loop_ns=%lld\n", now_ns() - start);
        return 0;
    }
    if (strcmp(mode, "stack") == 0) {
        for (long i = 0; i < n; i++) traced_getpid(1 + i % 3);
        sleep_ms(100);
        return 0;
    }
    if (strcmp(mode, "badclose") == 0) {
        for (long i = 0; i < n; i++) close(-1);
        return 0;
    }
    if (strcmp(mode, "overwrite") == 0) {
        char buffer[64];
        memset(buffer, '-', sizeof(buffer));
        buffer[sizeof(buffer) - 1] = '\0';
        int null = open("/dev/null", O_WRONLY);
        for (long i = 0; i < n; i++) {
            if (write(null, buffer, strlen(buffer)) < 0) return 1;
        }
        close(null);
        for (size_t i = 0; i < sizeof(buffer) - 1; i++) if (buffer[i] == '\0') buffer[i] = '|';
        printf("%s\n", buffer);
        return 0;
    }
    if (strcmp(mode, "sleep") == 0) {
        sleep_ms(n);
        return 0;
    }
    if (strcmp(mode, "paced") == 0 && argc > 3) {
        long rate = atol(argv[2]), seconds = atol(argv[3]);
        long long start = now_ns(), total = rate * seconds;
        for (long long i = 0; i < total; i++) {
            long long due = start + i * 1000000000LL / rate;
            while (now_ns() < due) {}
            syscall(SYS_getpid);
        }
        return 0;
    }
    if (strcmp(mode, "now") == 0) {
        printf("start_ns=%lld\n", now_ns());
        fflush(stdout);   /* before the probed call: a tracer that exits on it may kill us */
        syscall(SYS_getpid);
        return 0;
    }
    if (strcmp(mode, "calls") == 0) {
        long (*volatile absolute)(long) = labs; /* a real call into libc, never inlined */
        long long start = now_ns();
        long total = 0;
        for (long i = 0; i < n; i++) total += sum8(i, 1, 2, 3, 4, 5, 60, 70) + plain_sum(i, 2) + absolute(-i);
        if (n > 1000000) printf("calls_ns=%lld\n", now_ns() - start);
        return total == 42 ? 1 : 0;
    }
    if (strcmp(mode, "threads") == 0 && argc > 3) {
        long count = atol(argv[2]), bad = 0;
        pthread_t threads[64];
        if (count < 1 || count > 64) return 2;
        calls_per_thread = atol(argv[3]) / count;
        for (long t = 0; t < count; t++) pthread_create(&threads[t], NULL, checked_calls, (void *)t);
        for (long t = 0; t < count; t++) { void *result; pthread_join(threads[t], &result); bad += (long)result; }
        printf("threads=%ld bad=%ld\n", count, bad);
        return bad == 0 ? 0 : 1;
    }
    if (strcmp(mode, "signals") == 0) {
        signal(SIGTRAP, count_sigtrap);
        signal(SIGUSR1, count_sigusr1);
        sigset_t usr1;   /* a parent (a test runner) may have left it blocked */
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
        long total = 0;
        for (long i = 0; i < n; i++) { total += sum8(i, 1, 2, 3, 4, 5, 60, 70); kill(getpid(), SIGUSR1); }
        printf("handled=%d sigtrap=%d\n", (int)sigusr1s, (int)sigtraps);
        return total == n * (n - 1) / 2 + 145 * n ? 0 : 1;
    }
    if (strcmp(mode, "reexec") == 0) {
        long total = 0;
        for (long i = 0; i < n; i++) total += sum8(i, 1, 2, 3, 4, 5, 60, 70);
        if (total != n * (n - 1) / 2 + 145 * n) return 1;
        fflush(stdout);
        char *again[] = { argv[0], "calls", argv[2], NULL };
        execv("/proc/self/exe", again);
        return 127;
    }
    if (strcmp(mode, "forks") == 0) {
        signal(SIGTRAP, count_sigtrap);
        long total = 0;
        pid_t child = fork();
        if (child == 0) {
            for (long i = 0; i < n; i++) total += sum8(i, 1, 2, 3, 4, 5, 60, 70);
            _exit(total == n * (n - 1) / 2 + 145 * n && sigtraps == 0 ? 3 : 4);
        }
        for (long i = 0; i < n; i++) total += sum8(i, 1, 2, 3, 4, 5, 60, 70);
        int status = 0;
        waitpid(child, &status, 0);
        printf("child=%d sigtrap=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, (int)sigtraps);
        return total == n * (n - 1) / 2 + 145 * n ? 0 : 1;
    }
    if (strcmp(mode, "directio") == 0 && argc > 4) {
        long size = atol(argv[3]), count = atol(argv[4]), wrote = 0, got = 0;
        void *buffer;
        if (size <= 0 || size % 4096 != 0 || posix_memalign(&buffer, 4096, size) != 0) return 2;
        memset(buffer, 0x5a, size);
        int fd = open(argv[2], O_CREAT | O_TRUNC | O_WRONLY | O_DIRECT, 0600);
        if (fd < 0) { perror(argv[2]); return 1; }
        long long start = now_ns();
        for (long i = 0; i < count; i++) wrote += pwrite(fd, buffer, size, i * size);
        fdatasync(fd);
        close(fd);
        fd = open(argv[2], O_RDONLY | O_DIRECT);
        if (fd < 0) { perror(argv[2]); return 1; }
        for (long i = 0; i < count; i++) got += pread(fd, buffer, size, i * size);
        long long elapsed = now_ns() - start;
        close(fd);
        struct stat status;
        if (stat(argv[2], &status) == 0 && S_ISREG(status.st_mode)) unlink(argv[2]);
        printf("wrote=%ld read=%ld\n", wrote, got);
        if (count > 1000) printf("io_ns=%lld\n", elapsed);
        return wrote == size * count && got == size * count ? 0 : 1;
    }
    if (strcmp(mode, "freshpaths") == 0 && argc > 3) {
        long count = atol(argv[2]), rounds = atol(argv[3]), opens = 0, enoent = 0;
        long page = sysconf(_SC_PAGESIZE);
        if (count < 1 || rounds < 1) return 2;
        char path[4096];
        snprintf(path, sizeof path, "/dev/shm/workload-freshpaths-%d", (int)getpid());
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
        if (fd < 0) { perror(path); return 1; }
        unlink(path);
        if (ftruncate(fd, count * page) != 0) { perror("ftruncate"); return 1; }
        for (long round = 0; round < rounds; round++) {
            for (long i = 0; i < count; i++) {
                char name[64];
                int length = snprintf(name, sizeof name, "/nonexistent/fresh-%ld-%ld", round, i);
                if (pwrite(fd, name, length + 1, i * page) != length + 1) { perror("pwrite"); return 1; }
            }
            char *paths = mmap(NULL, count * page, PROT_READ, MAP_PRIVATE, fd, 0);
            if (paths == MAP_FAILED) { perror("mmap"); return 1; }
            for (long i = 0; i < count; i++) {
                opens++;
                if (open(paths + i * page, O_RDONLY) < 0 && errno == ENOENT) enoent++;
            }
            munmap(paths, count * page);
        }
        close(fd);
        printf("opens=%ld enoent=%ld\n", opens, enoent);
        return enoent == opens ? 0 : 1;
    }
    if (strcmp(mode, "freshopen") == 0 && argc > 2) {
        long page = sysconf(_SC_PAGESIZE);
        char path[4096];
        snprintf(path, sizeof path, "/dev/shm/workload-freshopen-%d", (int)getpid());
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
        if (fd < 0) { perror(path); return 1; }
        unlink(path);
        /* Past the kernel's fault-around reach of the file's first page. */
        long at = 64 * page;
        if (ftruncate(fd, at + page) != 0 || pwrite(fd, argv[2], strlen(argv[2]) + 1, at) < 0) { perror("freshopen"); return 1; }
        char *mapped = mmap(NULL, at + page, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped == MAP_FAILED) { perror("mmap"); return 1; }
        int opened = open(mapped + at, O_RDONLY);
        printf("opened=%d\n", opened);
        return opened >= 0 ? 0 : 1;
    }
    if (strcmp(mode, "badpath") == 0) {
        long page = sysconf(_SC_PAGESIZE);
        char *gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (gone == MAP_FAILED || munmap(gone, page) != 0) { perror("badpath"); return 1; }
        long result = syscall(SYS_openat, AT_FDCWD, gone, O_RDONLY);
        printf("errno=%d\n", result < 0 ? errno : 0);
        return result < 0 && errno == EFAULT ? 0 : 1;
    }
    if (strcmp(mode, "contend") == 0 && argc > 3) {
        long count = atol(argv[2]), bad = 0;
        pthread_t threads[64];
        if (count < 1 || count > 64) return 2;
        char path[4096];
        int direct = argc > 4 ? O_DIRECT : 0;
        snprintf(path, sizeof path, "%s/workload-contend-%d", argc > 4 ? argv[4] : "/dev/shm", (int)getpid());
        if (direct) contend_size = 4096;
        if (posix_memalign((void **)&contend_buffer, 4096, contend_size) != 0) return 2;
        memset(contend_buffer, 'x', contend_size);
        contend_file = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND | direct, 0600);
        if (contend_file < 0 || pipe(contend_pipe) != 0) { perror("contend"); return 1; }
        unlink(path);
        contend_until = now_ns() + atol(argv[3]) * 1000000000LL;
        for (long t = 0; t < count; t++) pthread_create(&threads[t], NULL, contend, (void *)t);
        for (long t = 0; t < count; t++) { void *result; pthread_join(threads[t], &result); bad += (long)result; }
        printf("threads=%ld bad=%ld\n", count, bad);
        return bad == 0 ? 0 : 1;
    }
    fprintf(stderr, "usage: workload getpid N | timed-getpid N | stack N | badclose N | overwrite N | sleep MS | paced RATE SECONDS | now | calls N | threads T N | signals N | reexec N | forks N | directio PATH SIZE N | freshpaths N ROUNDS | freshopen PATH | badpath | contend T SECS [DIR]\n");
    return 2;
}
