/* workload/tcp-pingpong.c: loopback TCP traffic for bench/net.sh. N rounds of one byte
 * from a client to a server and one byte back, over 127.0.0.1 (TCP_NODELAY: each byte is
 * a segment); prints loop_ns=<ns the rounds took> and cpu_ns=<CPU time they used, user
 * and system: loopback delivery runs in the sender, so this is where probes cost>.
 *   tcp-pingpong N */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 100000;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&address, &length)) { perror("listen"); return 1; }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&address, sizeof address)) { perror("connect"); return 1; }
    int server = accept(listener, NULL, NULL);
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char byte = 'x';
    long long start = now_ns(), cpu = cpu_ns();
    for (long i = 0; i < rounds; i++) {
        if (write(client, &byte, 1) != 1 || read(server, &byte, 1) != 1) return 1;
        if (write(server, &byte, 1) != 1 || read(client, &byte, 1) != 1) return 1;
    }
    printf("loop_ns=%lld cpu_ns=%lld\n", now_ns() - start, cpu_ns() - cpu);
    close(client); close(server); close(listener);
    return 0;
}
