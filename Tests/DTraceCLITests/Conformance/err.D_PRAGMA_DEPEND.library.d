/* A script cannot depend on a D library: only libraries can. */
#pragma D depends_on library procfs.d
BEGIN
{
	exit(0);
}
