/* #pragma D error stops the compilation with its words. */
BEGIN
{
	exit(0);
}
#pragma D error "not on this" system
