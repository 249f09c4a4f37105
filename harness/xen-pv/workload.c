/* harness/xen-pv/workload.c: a silent, static target for the guest checks.
 *   workload getpid N   makes exactly N getpid() system calls, prints nothing */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "getpid") == 0) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) syscall(SYS_getpid);
        return 0;
    }
    return 2;
}
