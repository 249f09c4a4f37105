/*
 * The preprocessor's -x options: cpp (as -C), define (-D), undef (-U), stdc=a (ISO
 * C99: __STDC_VERSION__ is 199901), cppargs (more arguments for cpp).
 */
#pragma D option quiet

probe
{
#ifndef GONE
	printf("%d %d %d\n", __STDC_VERSION__, EXTRA, sizeof(WIDTH));
#endif
	exit(0);
}
