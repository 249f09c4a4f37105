/* inet_ntoa() and inet_ntop(AF_INET, ...) of four bytes in scratch memory. */
#pragma D option quiet
BEGIN
{
	this->a = (uint8_t *)alloca(4);
	this->a[0] = 192; this->a[1] = 168; this->a[2] = 0; this->a[3] = 7;
	printf("%s\n", inet_ntoa((ipaddr_t *)this->a));
	this->a[0] = 10; this->a[1] = 255; this->a[2] = 99; this->a[3] = 100;
	printf("%s\n", inet_ntoa((ipaddr_t *)this->a));
	printf("%s\n", inet_ntop(2, (void *)this->a));
	exit(0);
}
