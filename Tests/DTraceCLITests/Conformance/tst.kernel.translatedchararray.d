/*
 * A translated char array member is an array of its member's length (pr_name is
 * char[16], pr_psargs char[80]) that reads as the string it holds.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %s\n", sizeof(curlwpsinfo->pr_name), sizeof(curpsinfo->pr_psargs), curpsinfo->pr_fname);
	printf("%c%c\n", curlwpsinfo->pr_name[0], curlwpsinfo->pr_name[1]);
	exit(0);
}
