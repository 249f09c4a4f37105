/* workload/soak-load.c: a paced stream of system calls for bench/soak.sh. THREADS threads
 * (default 2) make RATE getppid() calls a second between them (RATE / THREADS each) for
 * SECONDS seconds, in batches paced against CLOCK_MONOTONIC: each thread wakes every
 * millisecond (clock_nanosleep to an absolute time) and makes the calls due by then, so
 * it sleeps between batches rather than spinning, and catches up after a late wake-up.
 * getppid() takes no arguments; each call passes two anyway, which the syscall probe sees
 * as arg0 and arg1: arg0 the thread's sequence number (0, 1, 2, ...: a tracer's output can
 * be checked for gaps) and arg1 that number modulo 16 (a key for an aggregation).
 * When done it writes to RESULT (a file, so that its report never mixes with a tracer's
 * output on the shared stdout):
 *   thread=<index> tid=<tid> calls=<calls it made> behind=<most calls it was ever behind
 *     its schedule at a wake-up>         one line per thread
 *   calls=<every call made> elapsed_ns=<the schedule's start to the last call> end_ns=<CLOCK_REALTIME ns,
 *     taken just before it returns from main>
 *   soak-load RATE SECONDS THREADS RESULT
 * Built by bench/soak.sh: cc -O2 -pthread -o soak-load workload/soak-load.c */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 1000000LL   /* one batch a millisecond per thread */
#define MAX_THREADS 64

static long long now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

struct worker {
    pthread_t thread;
    long long start, total;   /* shared start (CLOCK_MONOTONIC ns); calls this thread makes */
    double rate;              /* this thread's calls a second */
    long long calls, behind, last_ns;
    long tid;
};

static void *run(void *argument) {
    struct worker *w = argument;
    w->tid = syscall(SYS_gettid);
    long long tick = w->start;
    struct timespec due = { tick / 1000000000LL, tick % 1000000000LL };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    while (w->calls < w->total) {
        long long elapsed = now_ns(CLOCK_MONOTONIC) - w->start;
        long long target = (long long)(w->rate * (elapsed / 1e9));
        if (target > w->total) target = w->total;
        if (target - w->calls > w->behind) w->behind = target - w->calls;
        for (; w->calls < target; w->calls++) syscall(SYS_getppid, w->calls, w->calls % 16);
        if (w->calls >= w->total) break;
        tick += PERIOD_NS;
        long long now = now_ns(CLOCK_MONOTONIC);
        if (tick < now) tick = now - (now - w->start) % PERIOD_NS + PERIOD_NS;   /* woke late: the next tick */
        due.tv_sec = tick / 1000000000LL;
        due.tv_nsec = tick % 1000000000LL;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    }
    w->last_ns = now_ns(CLOCK_MONOTONIC);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: soak-load RATE SECONDS THREADS RESULT\n"); return 2; }
    long long rate = atoll(argv[1]), seconds = atoll(argv[2]);
    int threads = atoi(argv[3]);
    if (rate < 1 || seconds < 1 || threads < 1 || threads > MAX_THREADS) { fprintf(stderr, "soak-load: bad arguments\n"); return 2; }
    static struct worker workers[MAX_THREADS];
    long long total = rate * seconds, start = now_ns(CLOCK_MONOTONIC) + 10 * PERIOD_NS;
    for (int i = 0; i < threads; i++) {
        workers[i].start = start;
        workers[i].total = total / threads + (i < total % threads);
        workers[i].rate = (double)workers[i].total / seconds;
        if (pthread_create(&workers[i].thread, NULL, run, &workers[i])) { perror("pthread_create"); return 1; }
    }
    long long calls = 0, last = start;
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        calls += workers[i].calls;
        if (workers[i].last_ns > last) last = workers[i].last_ns;
    }
    FILE *result = fopen(argv[4], "w");
    if (!result) { perror(argv[4]); return 1; }
    for (int i = 0; i < threads; i++)
        fprintf(result, "thread=%d tid=%ld calls=%lld behind=%lld\n", i, workers[i].tid, workers[i].calls, workers[i].behind);
    fprintf(result, "calls=%lld elapsed_ns=%lld", calls, last - start);
    fflush(result);
    fprintf(result, " end_ns=%lld\n", now_ns(CLOCK_REALTIME));
    fclose(result);
    return 0;
}
