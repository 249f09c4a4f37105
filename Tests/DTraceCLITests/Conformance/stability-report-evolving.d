/* -v: dtrace:::BEGIN is Stable; htons() is Evolving, and so the statements are. */
#pragma D option quiet

dtrace:::BEGIN
{
	printf("%x\n", htons(0x1234));
	exit(0);
}
