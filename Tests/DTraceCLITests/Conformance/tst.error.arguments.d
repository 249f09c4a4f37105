/*
 * The ERROR probe's arguments: arg1 the faulting probe's id, arg2 the clause's index
 * (the N of dt_clause_N), arg4 the fault as a DTRACEFLT_* constant, arg5 the address.
 */
#pragma D option quiet

BEGIN
{
	myid = id;
}

ERROR
{
	printf("%d %d %d %d %x\n", arg1 == myid, arg2, arg4 == DTRACEFLT_BADADDR, arg4, arg5);
}

BEGIN
{
	x = (int *)0x4000;
	y = *x;
}

BEGIN
{
	printf("%d %d %d\n", DTRACEFLT_DIVZERO, DTRACEFLT_BADINDEX, DTRACEFLT_LIBRARY);
	exit(0);
}
