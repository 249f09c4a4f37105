#pragma D option quiet
BEGIN
{
	s = "hello, world";
	printf("%d %s %s %s\n", strlen(s), strjoin(s, "!"), substr(s, 7), substr(s, 0, 5));
	printf("%d %d %s %s\n", index(s, "o"), rindex(s, "o"), strchr(s, 'w'), strstr(s, "lo"));
	printf("%s %s %s %s\n", basename("/usr/lib/libc.so"), dirname("/usr/lib/libc.so"), toupper("abc"), tolower("ABC"));
	printf("%s %s %s\n", lltostr(-123), cleanpath("/a/./b/../c"), s == "hello, world" ? "eq" : "ne");
	printf("%x %x\n", htons(0x1234), ntohl(0x12345678));
	exit(0);
}
