/* Only a function's name can be called: tick-1() is tick minus 1 called. */
BEGIN
{
	@ = tick-1();
	exit(0);
}
