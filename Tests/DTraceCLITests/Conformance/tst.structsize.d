/*
 * A struct or union the program declares is as large as DTrace's type library makes
 * it: up to where its last member ends, with no padding after it (its members keep their
 * natural alignment); an array of them is that size times its count.
 */
#pragma D option quiet

struct padded { int u; long v; short w; };
struct tail { long l; char c; };
union small { char c[3]; short s; };
struct padded pair[2];

BEGIN
{
	printf("%d %d %d\n", sizeof (struct padded), offsetof(struct padded, v), offsetof(struct padded, w));
	printf("%d %d %d\n", sizeof (struct tail), sizeof (union small), sizeof (pair));
	pair[1].v = 0x1122334455667788;
	pair[1].w = -2;
	printf("%x %d %d\n", pair[1].v, pair[1].w, pair[0].w);
	exit(0);
}
