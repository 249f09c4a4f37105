/* workload/usdt/app.c: a program with its own USDT provider (provider.d, header from
 * dtrace -h), for the USDT tests and bench/pid.sh: app N fires myapp:::tick(i, argv[0]) N
 * times when enabled (its is-enabled semaphore), and myapp:::counted(counter) N times with a
 * global the compiler passes as a RIP-relative operand (counter starts at 7). It prints
 * nothing, except loop_ns=<ns the loop took> when N > 1000000 (bench/).
 *   dtrace -h -s workload/usdt/provider.d -o /tmp/provider.h
 *   cc -O2 -I/tmp -o /tmp/app workload/usdt/app.c */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "provider.h"

long counter_global = 7;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    long long start = now_ns();
    for (int i = 0; i < n; i++) {
        if (MYAPP_TICK_ENABLED()) MYAPP_TICK(i, argv[0]);
        MYAPP_COUNTED(counter_global);
        counter_global++;
    }
    if (n > 1000000) printf("loop_ns=%lld\n", now_ns() - start);
    return 0;
}
