/*
 * Bitfields of a kernel structure (struct iphdr's ihl and version share a byte; the
 * task's in_execve is one bit): read, and in a variable of that type written, without
 * touching their neighbours.
 */
#pragma D option quiet

struct iphdr header;

BEGIN
{
	header.ihl = 5;
	header.version = 4;
	header.tos = 0xee;
	printf("%d %d %x %x\n", header.ihl, header.version, header.tos, *(uint8_t *)&header);
	header.ihl = 0x1f;
	printf("%d %d %x\n", header.ihl, header.version, *(uint8_t *)&header);
	printf("%d\n", curthread->in_execve);
	exit(0);
}
