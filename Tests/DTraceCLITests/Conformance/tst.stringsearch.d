/* index, rindex and strstr at their edges: empty and too-long needles, starts before,
 * inside and past the string, repeated matches. */
#pragma D option quiet
BEGIN
{
	s = "abcabcabc";
	printf("%d %d %d %d %d\n", index(s, "abc"), rindex(s, "abc"), index(s, "c"), rindex(s, "c"), index(s, "abcabcabcd"));
	printf("%d %d %d %d\n", index(s, ""), rindex(s, ""), index("", ""), index("", "a"));
	printf("%d %d %d %d %d\n", index(s, "abc", 1), index(s, "abc", -4), index(s, "abc", 7), index(s, "bc", 100), index(s, "a", 6));
	printf("%d %d %d %d\n", rindex(s, "abc", 5), rindex(s, "abc", -1), rindex(s, "abc", 100), rindex(s, "a", 0));
	printf("[%s] [%s] [%s]\n", strstr(s, "cab"), strstr(s, "abc"), strstr(s, "c"));
	exit(0);
}
