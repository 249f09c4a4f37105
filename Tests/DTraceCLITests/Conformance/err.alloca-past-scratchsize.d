/*
 * alloca() hands out at most scratchsize bytes (rounded up to 8) in a clause: 64 bytes
 * of a 64-byte scratchsize fit, 65 fault "out of scratch space", and ERROR runs.
 */
#pragma D option quiet
#pragma D option scratchsize=64

BEGIN
{
	sz = 64;
	alloca(sz);
	printf("64 bytes fit\n");
}

BEGIN
{
	sz = 65;
	alloca(sz);
	printf("65 bytes fit\n");
}

ERROR
{
	exit(1);
}
