/* harness/xen-pv/workload.c: a silent, static target for the guest checks.
 *   workload getpid N   makes exactly N getpid() system calls, prints nothing
 *   workload stack N    the same from its own function traced_getpid (built with frame
 *                       pointers, so a user stack reads traced_getpid, then main),
 *                       then lives 100 ms more */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) void step(void) { __asm__ volatile ("" ::: "memory"); }

__attribute__((noinline)) long traced_getpid(void) {
    long result;
    step(); /* not a leaf: it keeps a frame */
    __asm__ volatile ("syscall" : "=a"(result) : "a"((long)SYS_getpid) : "rcx", "r11", "memory");
    return result;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "stack") == 0) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) traced_getpid();
        struct timespec pause = { 0, 100000000 }; /* alive while dtrace reads its mappings */
        nanosleep(&pause, 0);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "getpid") == 0) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) syscall(SYS_getpid);
        return 0;
    }
    return 2;
}
