/*
 * #pragma D option version=1.0: the program is D 1.0's, so the names later versions
 * took (strstr, substr, ucaller, print...) are free for its own variables.
 */
#pragma D option version=1.0
#pragma D option quiet

int strstr;
int substr;
int ucaller;
int print;

BEGIN
{
	strstr = 1; substr = 2; ucaller = 3; print = 4;
	printf("%d %d %d %d\n", strstr, substr, ucaller, print);
	exit(0);
}
