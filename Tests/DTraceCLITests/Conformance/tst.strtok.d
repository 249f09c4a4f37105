/* strtok(): tokens of a string across calls (NULL continues it), with a different
 * delimiter set per call, NULL when none is left; strings compare with NULL. */
#pragma D option quiet
BEGIN
{
	t = strtok("  alpha, beta,,gamma ", " ,");
	printf("[%s]\n", t);
	t = strtok(NULL, " ,");
	printf("[%s]\n", t);
	t = strtok(NULL, ",");
	printf("[%s]\n", t);
	printf("%s\n", strtok(NULL, ",") == NULL ? "end" : "more");
	printf("[%s]\n", strtok("x:y", ":"));
	printf("[%s]\n", strtok(NULL, ":"));
	printf("%s\n", strchr("abc", 'z') == NULL ? "no z" : "z");
	exit(0);
}
