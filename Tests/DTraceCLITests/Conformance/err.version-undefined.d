/* A version the compiler does not define is refused where the option is set. */
#pragma D option version=99.1

BEGIN
{
	exit(0);
}
