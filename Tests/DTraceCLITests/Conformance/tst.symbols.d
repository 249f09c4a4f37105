/* sym(), mod() and usym() of addresses no symbol covers print the address, padded as
 * dtrace(1M) pads symbols ("  %-50s"). */
#pragma D option quiet
BEGIN
{
	sym(0);
	printf("|\n");
	mod(16);
	printf("|\n");
	usym(4096);
	printf("|\n");
	exit(0);
}
