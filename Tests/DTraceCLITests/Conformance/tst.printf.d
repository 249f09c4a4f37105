#pragma D option quiet
BEGIN
{
	printf("%d %i %u %x %X %o|%5d|%-5d|%05d|%s|%10s|%-10s|%c|%%\n", -42, 7, -1, 255, 255, 8, 42, 42, 42, "str", "right", "left", 65);
	printf("%lld %hhd %.3s\n", 1234567890123, 3, "abcdef");
	exit(0);
}
