/* The string subroutines that run in both engines, at their edges: negative and
 * out-of-range substr() bounds, missing characters, bare and empty paths, the widest
 * integers and every lltostr() base prefix. */
#pragma D option quiet
BEGIN
{
	s = "hello, world";
	printf("[%s] [%s] [%s] [%s]\n", strjoin(s, "!"), substr(s, 7), substr(s, 0, 5), substr(s, -5, 3));
	printf("[%s] [%s] [%s] [%s]\n", substr(s, 20), substr(s, 3, -4), substr(s, -50), substr(s, 2, 0));
	printf("[%s] [%s] [%s]\n", strchr(s, 'w'), strrchr(s, 'o'), "x");
	printf("[%s] [%s] [%s] [%s] [%s]\n", basename("/usr/lib/libc.so"), basename("/usr/lib/"), basename("///"), basename(""), basename("a"));
	printf("[%s] [%s] [%s] [%s] [%s] [%s]\n", dirname("/usr/lib/libc.so"), dirname("/usr/lib/"), dirname("///"), dirname(""), dirname("a"), dirname("/a"));
	printf("[%s] [%s] [%s] [%s]\n", toupper("abcXYZ09"), tolower("ABC xyz"), lltostr(-123), lltostr(0));
	printf("[%s] [%s] [%s] [%s]\n", lltostr(9223372036854775807), lltostr(-9223372036854775807 - 1), lltostr(255, 16), lltostr(8, 8));
	printf("[%s] [%s] [%s] [%s] [%s] [%s]\n", lltostr(5, 2), lltostr(35, 36), lltostr(36, 37), lltostr(0, 8), lltostr(0, 16), lltostr(-1, 16));
	printf("[%s]\n", strjoin(strjoin(toupper(substr(s, 0, 5)), "-"), basename("/x/y")));
	exit(0);
}
