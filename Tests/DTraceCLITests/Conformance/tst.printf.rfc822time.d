/*
 * %T prints a time as RFC 822 does, with DTrace's strftime format "%a, %d %b %G %T %Z"
 * (%G, the ISO week-numbering year: the last day of 1969 is in 1970's first week); %Y
 * as "%Y %b %e %T". The local time zone here is UTC.
 */
#pragma D option quiet

BEGIN
{
	printf("%T|%Y|%T\n", (uint64_t)0, (uint64_t)0, (uint64_t)1062609821 * 1000000000);
	printf("%T\n", (uint64_t)-86400000000000);
	exit(0);
}
