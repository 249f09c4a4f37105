/* %? pads to the width of an address (16 characters on 64 bits). */
BEGIN
{
	printf("[%?d]\n[%-?x]\n", 42, 255);
	exit(0);
}
