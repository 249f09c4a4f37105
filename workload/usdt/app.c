/* workload/usdt/app.c: a program with its own USDT provider (provider.d, header from
 * dtrace -h), for the USDT tests: app N fires myapp:::tick(i, argv[0]) N times when
 * enabled (its is-enabled semaphore), and myapp:::counted(counter) N times with a global
 * the compiler passes as a RIP-relative operand (counter starts at 7).
 *   dtrace -h -s workload/usdt/provider.d -o /tmp/provider.h
 *   cc -O2 -I/tmp -o /tmp/app workload/usdt/app.c */
#include <stdlib.h>
#include "provider.h"

long counter_global = 7;

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    for (int i = 0; i < n; i++) {
        if (MYAPP_TICK_ENABLED()) MYAPP_TICK(i, argv[0]);
        MYAPP_COUNTED(counter_global);
        counter_global++;
    }
    return 0;
}
