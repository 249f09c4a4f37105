/* -v: the least stability of the script's probe descriptions (BEGIN alone names no
   provider: Unstable) and of its statements (printf of constants: Stable), as dtrace(1)
   reports it, before the program's output. */
BEGIN
{
	printf("This compiles: %d\n", 2);
	exit(0);
}
