/* A flag takes yes/no words or a number. */
#pragma D option flowindent=sometimes
BEGIN
{
	exit(0);
}
