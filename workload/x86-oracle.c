/* workload/x86-oracle.c: real execution of single x86-64 instructions, the oracle that
 * DTraceX86Tests compares X86Emulator and OutOfLineCopy against (built by the tests with
 * cc at test time).
 *
 * Reads cases from stdin until EOF, each 33 little-endian 64-bit words:
 *   0-15  rax rcx rdx rbx rsp rbp rsi rdi r8-r15 (encoding order)
 *   16    rflags (only the status flags, DF and bit 1 are meaningful; IF is always set)
 *   17    rip: where the instruction is placed, inside one of the two code regions
 *   18    fs_base   19 gs_base
 *   20    seed of the data window's contents
 *   21    instruction length (1-15)   22-23 the instruction's bytes
 *   24    patch count (0-4)           25-32 patches: (address, 64-bit value) pairs
 * and writes for each case:
 *   0     the signal that ended execution (SIGTRAP: the int3 after the instruction or at a
 *         branch target; SIGSEGV/SIGBUS: a fault; SIGALRM: a hang)
 *   1     si_addr
 *   2-17  the sixteen registers   18 rflags
 *   19    rip: for SIGTRAP the int3's address, else the faulting rip
 *   20    n, then n (address, byte) pairs: the data window's bytes that changed.
 *
 * Memory: two code regions of 1 MB at CODE_NEAR and CODE_FAR (0x60000000 apart, both
 * within 2 GB of the data window), filled with int3 (0xCC) and mapped read+execute; the
 * data window, 16 KB at DATA_BASE, read+write, filled per case with
 *   byte at a = splitmix64(seed ^ (a >> 3)) >> (8 * (a & 7))
 * and then patched. Nothing else is mapped below 4 GB.
 *
 * Execution: enter_case (assembly below) sets the FS and GS bases with arch_prctl, loads
 * rflags and all sixteen registers, rsp last, and jumps to the instruction; the int3 after
 * it (or wherever a branch lands) raises SIGTRAP. The handler runs on an alternate stack
 * (the tested rsp points into the data window), first puts the real FS base back (nothing
 * here uses TLS before that: -fno-stack-protector), copies the registers from the signal
 * context and siglongjmps back to the loop. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_NEAR 0x30000000UL
#define CODE_FAR 0x90000000UL
#define CODE_SIZE 0x100000UL
#define DATA_BASE 0x40000000UL
#define DATA_SIZE 0x4000UL
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

struct harness_state {
    uint64_t regs[16];
    uint64_t rflags, rip, fs_base, gs_base;
};

__attribute__((visibility("hidden"))) struct harness_state harness_state;
__attribute__((visibility("hidden"))) uint64_t host_fs_base;

static sigjmp_buf resume;
static uint64_t result[20];
static unsigned char initial[DATA_SIZE];

void enter_case(void) __attribute__((noreturn));
__asm__(
    ".text\n"
    ".globl enter_case\n"
    ".hidden enter_case\n"
    ".type enter_case,@function\n"
    "enter_case:\n"
    "  mov $158, %eax\n"
    "  mov $0x1001, %edi\n"
    "  mov harness_state+152(%rip), %rsi\n"
    "  syscall\n"
    "  mov $158, %eax\n"
    "  mov $0x1002, %edi\n"
    "  mov harness_state+144(%rip), %rsi\n"
    "  syscall\n"
    "  pushq harness_state+128(%rip)\n"
    "  popfq\n"
    "  mov harness_state+0(%rip), %rax\n"
    "  mov harness_state+8(%rip), %rcx\n"
    "  mov harness_state+16(%rip), %rdx\n"
    "  mov harness_state+24(%rip), %rbx\n"
    "  mov harness_state+40(%rip), %rbp\n"
    "  mov harness_state+48(%rip), %rsi\n"
    "  mov harness_state+56(%rip), %rdi\n"
    "  mov harness_state+64(%rip), %r8\n"
    "  mov harness_state+72(%rip), %r9\n"
    "  mov harness_state+80(%rip), %r10\n"
    "  mov harness_state+88(%rip), %r11\n"
    "  mov harness_state+96(%rip), %r12\n"
    "  mov harness_state+104(%rip), %r13\n"
    "  mov harness_state+112(%rip), %r14\n"
    "  mov harness_state+120(%rip), %r15\n"
    "  mov harness_state+32(%rip), %rsp\n"
    "  jmp *harness_state+136(%rip)\n"
    ".size enter_case, .-enter_case\n");

static void on_signal(int signal, siginfo_t *info, void *context) {
    long ignored;
    __asm__ volatile("syscall" : "=a"(ignored) : "a"(158), "D"(ARCH_SET_FS), "S"(host_fs_base) : "rcx", "r11", "memory");
    const greg_t *g = ((ucontext_t *)context)->uc_mcontext.gregs;
    static const int order[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                  REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    result[0] = (uint64_t)signal;
    result[1] = (uint64_t)info->si_addr;
    for (int i = 0; i < 16; i++) result[2 + i] = (uint64_t)g[order[i]];
    result[18] = (uint64_t)g[REG_EFL];
    result[19] = (uint64_t)g[REG_RIP] - (signal == SIGTRAP ? 1 : 0);
    siglongjmp(resume, 1);
}

static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static int in_code(uint64_t address, uint64_t length) {
    uint64_t bases[2] = {CODE_NEAR, CODE_FAR};
    for (int i = 0; i < 2; i++)
        if (address >= bases[i] && address + length <= bases[i] + CODE_SIZE && address + length >= address) return 1;
    return 0;
}

static void protect_code(int writable) {
    int protection = writable ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC;
    if (mprotect((void *)CODE_NEAR, CODE_SIZE, protection) != 0 || mprotect((void *)CODE_FAR, CODE_SIZE, protection) != 0) {
        perror("mprotect");
        exit(2);
    }
}

static void map_fixed(uint64_t base, uint64_t size) {
    void *p = mmap((void *)base, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)base) {
        perror("mmap");
        exit(2);
    }
}

int main(void) {
    map_fixed(CODE_NEAR, CODE_SIZE);
    map_fixed(CODE_FAR, CODE_SIZE);
    map_fixed(DATA_BASE, DATA_SIZE);
    memset((void *)CODE_NEAR, 0xCC, CODE_SIZE);
    memset((void *)CODE_FAR, 0xCC, CODE_SIZE);
    protect_code(0);
    if (syscall(SYS_arch_prctl, ARCH_GET_FS, &host_fs_base) != 0) {
        perror("arch_prctl");
        return 2;
    }

    static unsigned char alternate_stack[1 << 16];
    stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
    if (sigaltstack(&stack, NULL) != 0) {
        perror("sigaltstack");
        return 2;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    int signals[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGALRM};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);

    uint64_t input[33];
    while (fread(input, sizeof input, 1, stdin) == 1) {
        unsigned char *data = (unsigned char *)DATA_BASE;
        uint64_t seed = input[20];
        for (uint64_t offset = 0; offset < DATA_SIZE; offset += 8) {
            uint64_t word = mix(seed ^ ((DATA_BASE + offset) >> 3));
            memcpy(data + offset, &word, 8);
        }
        uint64_t patches = input[24] > 4 ? 4 : input[24];
        for (uint64_t i = 0; i < patches; i++) {
            uint64_t address = input[25 + 2 * i], value = input[26 + 2 * i];
            for (int b = 0; b < 8; b++) {
                uint64_t a = address + (uint64_t)b;
                if (a >= DATA_BASE && a < DATA_BASE + DATA_SIZE) data[a - DATA_BASE] = (unsigned char)(value >> (8 * b));
            }
        }
        memcpy(initial, data, DATA_SIZE);

        uint64_t rip = input[17], length = input[21];
        if (length < 1 || length > 15 || !in_code(rip, length)) {
            fprintf(stderr, "bad case: rip %#lx length %lu\n", (unsigned long)rip, (unsigned long)length);
            return 2;
        }
        protect_code(1);
        memcpy((void *)rip, &input[22], length);
        protect_code(0);

        memcpy(harness_state.regs, input, 16 * 8);
        harness_state.rflags = input[16];
        harness_state.rip = rip;
        harness_state.fs_base = input[18];
        harness_state.gs_base = input[19];

        alarm(2);
        if (sigsetjmp(resume, 1) == 0) enter_case();
        alarm(0);

        uint64_t changed = 0;
        for (uint64_t offset = 0; offset < DATA_SIZE; offset++) changed += data[offset] != initial[offset];
        fwrite(result, sizeof result, 1, stdout);
        fwrite(&changed, 8, 1, stdout);
        for (uint64_t offset = 0; offset < DATA_SIZE; offset++) {
            if (data[offset] == initial[offset]) continue;
            uint64_t pair[2] = {DATA_BASE + offset, data[offset]};
            fwrite(pair, sizeof pair, 1, stdout);
        }

        protect_code(1);
        memset((void *)rip, 0xCC, length);
        protect_code(0);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
