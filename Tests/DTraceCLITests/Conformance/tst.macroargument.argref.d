/* With -x argref, arguments a script does not name are accepted. */
#pragma D option quiet

BEGIN
{
	printf("%s\n", $$1);
	exit(0);
}
