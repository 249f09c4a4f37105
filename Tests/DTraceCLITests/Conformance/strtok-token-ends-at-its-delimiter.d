/*
 * strtok(): a token ends at a delimiter that stays in the string, as in DTrace; the
 * next call's delimiters decide whether it is skipped or begins the next token.
 */
#pragma D option quiet

BEGIN
{
	printf("[%s]\n", strtok("abc,def;ghi", ","));
	printf("[%s]\n", strtok(NULL, ";"));
	printf("[%s]\n", strtok(NULL, ";"));
	printf("%s\n", strtok(NULL, ";") == NULL ? "NULL" : "more");
	printf("[%s]\n", strtok("one two", " "));
	printf("[%s]\n", strtok(NULL, " "));
	printf("[%s]\n", strtok("foo", ""));
	printf("%s\n", strtok("", "") == NULL ? "NULL" : "more");
	exit(0);
}
