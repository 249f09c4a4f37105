/* link_ntop() of a NULL address faults: invalid address. */
#pragma D option quiet

uint8_t *address;

BEGIN
{
	printf("%s\n", link_ntop(ARPHRD_ETHER, address));
	exit(0);
}

ERROR
{
	exit(1);
}
