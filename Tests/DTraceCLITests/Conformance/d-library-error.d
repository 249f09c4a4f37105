/* An error in a library is the program's, naming the library's file and line. */
BEGIN
{
	exit(0);
}
