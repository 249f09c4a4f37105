/* A declared name has no module scope. */
long vmlinux`mine;
BEGIN
{
	exit(0);
}
