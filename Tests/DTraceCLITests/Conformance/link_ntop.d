/*
 * link_ntop(type, &address): Ethernet (6 bytes) and InfiniBand (20 bytes) hardware
 * addresses as lower-case hexadecimal joined by ':'; the type a constant or a
 * run-time value; addresses in alloca() space, a global array or a clause-local.
 */
#pragma D option quiet

uint8_t hardware[20];

BEGIN
{
	this->mac = (uint8_t *)alloca(6);
	this->mac[0] = 0xde; this->mac[1] = 0xad; this->mac[2] = 0x0b;
	this->mac[3] = 0xe0; this->mac[4] = 0x0f; this->mac[5] = 0x7a;
	printf("%s\n", link_ntop(ARPHRD_ETHER, this->mac));

	kind = ARPHRD_ETHER;
	*(uint64_t *)this->mac = 0;
	printf("%s\n", link_ntop(kind, this->mac));

	hardware[0] = 0xa0;
	hardware[9] = 0x5c;
	hardware[19] = 0xff;
	kind = ARPHRD_INFINIBAND;
	printf("%s\n", link_ntop(kind, hardware));
	printf("%s\n", link_ntop(ARPHRD_INFINIBAND, &hardware[0]));
	printf("%d %d\n", ARPHRD_ETHER, ARPHRD_INFINIBAND);
	exit(0);
}
