/* -X s: traditional cpp, where no C standard is in force. */
#pragma D option quiet

BEGIN
{
#ifdef __STRICT_ANSI__
	printf("strict ISO C\n");
#else
	printf("traditional\n");
#endif
	exit(0);
}
