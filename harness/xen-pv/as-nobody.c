/* harness/xen-pv/as-nobody.c: runs a command as uid and gid 65534 with no supplementary
 * groups (what setpriv --reuid=65534 --regid=65534 --clear-groups does; busybox's setpriv
 * cannot), so the guest checks can run dtrace as an unprivileged user. Built static.
 *   as-nobody COMMAND [ARGUMENT...] */
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: as-nobody COMMAND [ARGUMENT...]\n"); return 2; }
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) { perror("as-nobody"); return 2; }
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
