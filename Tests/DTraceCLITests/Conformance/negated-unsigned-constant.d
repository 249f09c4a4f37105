/* A negated unsigned constant keeps only its type's bits, as DTrace's parser folds it: -1u is 0xffffffff (Oracle's tst.fds.d matches a 32-bit fd of -1 with it); a 64-bit one keeps all. */
#pragma D option quiet
BEGIN
{
	x = 4294967295;
	printf("%d %d %d %d\n", x == -1u, x != -1u, (long long)-1u, -1ul == 0xffffffffffffffff);
	printf("%u %d\n", -1u, -2u > 0);
	exit(0);
}
