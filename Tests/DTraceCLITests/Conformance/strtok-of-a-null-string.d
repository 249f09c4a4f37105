/*
 * strtok() of a string that is NULL when the clause runs faults (invalid address);
 * only NULL written in the program continues the last string.
 */
#pragma D option quiet

BEGIN
{
	printf("[%s]\n", strtok("a b", " "));
	printf("[%s]\n", strtok(NULL, " "));
}

BEGIN
{
	strtok(strstr("abc", "def"), "");
	printf("not reached\n");
}

ERROR
{
	printf("fault %d\n", arg4);
	exit(0);
}
