# workload/ia32.s: a 32-bit program making five ia32 system calls numbered 39 (mkdir
# there; getpid in the 64-bit table), then exiting: the kernel-engine tests check that
# syscall::getpid: probes do not count a compat call that shares a native call's number.
#   as --32 -o ia32.o workload/ia32.s && ld -m elf_i386 -o ia32 ia32.o
    .globl _start
_start:
    mov $5, %esi
1:  mov $39, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    int $0x80
    dec %esi
    jnz 1b
    mov $1, %eax
    xor %ebx, %ebx
    int $0x80
