/*
 * Integer arithmetic as DTrace does it: every operation in 64-bit registers, a result cut
 * to its type only where it is stored (a variable, a record). The result type of two
 * operands is the one of higher rank, with no promotion to int (two unsigned chars add
 * up to an unsigned char). A bare %d prints an unsigned argument as unsigned.
 */
#pragma D option quiet

int n;
unsigned char a, b;
unsigned long long u;

BEGIN
{
	/* 50000 * 50000 / 50000 needs more than 32 bits on the way; kept until the store */
	n = 50000;
	n = n * n / n + 1;
	printf("%d\n", n);

	/* 200 + 100 is an unsigned char: 44 when recorded, 300 while compared */
	a = 200; b = 100;
	printf("%d %d\n", a + b, a + b > 255);

	/* an int added to an unsigned long long is unsigned */
	u = 1; n = -3;
	printf("%d %lld\n", u + n, u + n);

	/* the shift keeps the left operand's type; stored in an int it wraps */
	n = 1;
	n = n << 31;
	printf("%d\n", n);
	exit(0);
}
