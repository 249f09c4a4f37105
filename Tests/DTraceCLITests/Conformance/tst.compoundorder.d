/*
 * Compound assignment reads its left operand before evaluating the right one; signed
 * division and remainder are negative when exactly one operand is (DTrace on Linux).
 */
#pragma D option quiet

BEGIN
{
	i = 10;
	i += i++ * 2;
	printf("%d\n", i);
	j = 7;
	j -= --j;
	printf("%d\n", j);
	x = 23; y = 4;
	printf("%d %d %d %d\n", x / y, x % y, x / -y, x % -y);
	printf("%d %d %d %d\n", -x / y, -x % y, -x / -y, -x % -y);
	exit(0);
}
