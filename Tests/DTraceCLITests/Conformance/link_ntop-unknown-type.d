/*
 * link_ntop() of a hardware type other than ARPHRD_ETHER and ARPHRD_INFINIBAND,
 * known only at run time, is an illegal operation; ERROR runs.
 */
#pragma D option quiet

BEGIN
{
	this->mac = (uint8_t *)alloca(8);
	kind = 24;
	printf("%s\n", link_ntop(kind, this->mac));
	printf("not reached\n");
}

ERROR
{
	printf("ERROR: fault %d\n", arg4);
	exit(1);
}
