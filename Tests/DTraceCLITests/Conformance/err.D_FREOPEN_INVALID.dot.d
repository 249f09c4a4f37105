/* "." is what DTrace stands for freopen("") (restore the output): written in a program
 * it is refused when the clause is compiled. */
BEGIN
{
	printf("never\n");
	freopen(".");
}
