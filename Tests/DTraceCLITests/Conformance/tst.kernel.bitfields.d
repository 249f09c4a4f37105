/*
 * Bitfields of a kernel structure (struct iphdr's ihl and version share a byte; the
 * task's in_execve is one bit): read, and in a variable of that type written, without
 * touching their neighbours (the union shows the byte they share).
 */
#pragma D option quiet

union {
	struct iphdr header;
	uint8_t first;
} packet;

BEGIN
{
	packet.header.ihl = 5;
	packet.header.version = 4;
	packet.header.tos = 0xee;
	printf("%d %d %x %x\n", packet.header.ihl, packet.header.version, packet.header.tos, packet.first);
	packet.header.ihl = 0x1f;
	printf("%d %d %x\n", packet.header.ihl, packet.header.version, packet.first);
	printf("%d\n", curthread->in_execve);
	exit(0);
}
