/*
 * A comment still open at the end of the file is named at the line the file
 * ends on.
 */
BEGIN
{
	exit(0);
}

/* never closed
