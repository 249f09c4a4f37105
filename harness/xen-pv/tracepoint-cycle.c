// harness/xen-pv/tracepoint-cycle.c: the kernel's own text patching, without dtrace.
// Loads a BPF program that does nothing, then attaches it to the sched_switch raw
// tracepoint and detaches it N times (each attach and detach rewrites the tracepoint's
// static call with text_poke_bp). run.sh packs it into the guest; `XEN_HARNESS_CYCLES=N
// bash harness/xen-pv/run.sh` runs it there instead of the checks. Linux 6.1 as Xen PV dom0
// under QEMU's TCG live-locks in text_poke_bp within about a hundred cycles of this.
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int command, union bpf_attr *attributes) {
    return syscall(__NR_bpf, command, attributes, sizeof(*attributes));
}

int main(int argc, char **argv) {
    int cycles = argc > 1 ? atoi(argv[1]) : 100;
    struct bpf_insn returnZero[2] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
        { .code = BPF_JMP | BPF_EXIT },
    };
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof attributes);
    attributes.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    attributes.insns = (unsigned long)returnZero;
    attributes.insn_cnt = 2;
    attributes.license = (unsigned long)"GPL";
    int program = bpf(BPF_PROG_LOAD, &attributes);
    if (program < 0) { perror("tracepoint-cycle: BPF_PROG_LOAD"); return 1; }
    for (int cycle = 1; cycle <= cycles; cycle++) {
        memset(&attributes, 0, sizeof attributes);
        attributes.raw_tracepoint.name = (unsigned long)"sched_switch";
        attributes.raw_tracepoint.prog_fd = program;
        int link = bpf(BPF_RAW_TRACEPOINT_OPEN, &attributes);
        if (link < 0) { perror("tracepoint-cycle: BPF_RAW_TRACEPOINT_OPEN"); return 1; }
        usleep(20000);
        close(link);
        usleep(20000);
        if (cycle % 20 == 0) { printf("tracepoint-cycle: %d cycles\n", cycle); fflush(stdout); }
    }
    printf("tracepoint-cycle: all %d cycles done\n", cycles);
    return 0;
}
