/* A variable may not take a name of the language's (strstr is a D 1.1 subroutine). */
#pragma D option version=1.1

int strstr;

BEGIN
{
	exit(0);
}
