/* bench/workload.c: a known load for the kernel-engine benchmarks.
 *   workload getpid N        N getpid() calls; prints loop_ns=<ns for the loop>
 *   workload paced RATE SECS getpid() at RATE calls per second for SECS seconds
 *   workload now             prints start_ns=<CLOCK_MONOTONIC at start>, then one getpid() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "getpid") == 0) {
        long n = atol(argv[2]);
        long long start = now_ns();
        for (long i = 0; i < n; i++) syscall(SYS_getpid);
        printf("loop_ns=%lld\n", now_ns() - start);
        return 0;
    }
    if (argc > 3 && strcmp(argv[1], "paced") == 0) {
        long rate = atol(argv[2]), seconds = atol(argv[3]);
        long long start = now_ns(), total = rate * seconds;
        for (long long i = 0; i < total; i++) {
            long long due = start + i * 1000000000LL / rate;
            while (now_ns() < due) {}
            syscall(SYS_getpid);
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "now") == 0) {
        printf("start_ns=%lld\n", now_ns());
        fflush(stdout);   /* before the probed call: a tracer that exits on it may kill us */
        syscall(SYS_getpid);
        return 0;
    }
    fprintf(stderr, "usage: workload getpid N | paced RATE SECONDS\n");
    return 2;
}
