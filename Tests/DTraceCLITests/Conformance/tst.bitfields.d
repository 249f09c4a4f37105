/*
 * Bit-fields declared in D: values truncated to their width and sign-extended when
 * signed, neighbours left alone, and structs laid out as DTrace lays them out (each
 * field's storage the power-of-two bytes that hold it, at the byte after the previous
 * member's last bit, the size not rounded up).
 */
#pragma D option quiet

struct packet {
	unsigned int version : 4;
	int delta : 5;
	unsigned long long stamp : 40;
	char tag;
} p;

struct tiny { int a : 1; int b : 2; int c : 3; } t;
struct wide { int a : 20; char b; short c : 9; } w;

BEGIN
{
	p.version = 0x1f;
	p.delta = 0x1f;
	p.stamp = 0xfedcba987654;
	p.tag = 'x';
	printf("%d %d %x %c\n", p.version, p.delta, p.stamp, p.tag);
	p.delta = 15;
	p.version++;
	printf("%d %d %x %c\n", p.version, p.delta, p.stamp, p.tag);
	printf("%d %d %d\n", sizeof (struct packet), sizeof (struct tiny), sizeof (struct wide));
	printf("%d %d\n", offsetof(struct packet, tag), offsetof(struct wide, b));
	t.c = -3;
	printf("%d %d\n", t.c, t.c < 0);
	exit(0);
}
