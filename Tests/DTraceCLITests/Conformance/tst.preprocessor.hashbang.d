#!/usr/sbin/dtrace -Cs
/*
 * With -C, a script's interpreter line is not handed to cpp, and lines keep their
 * numbers; DTrace's definitions are there: __linux, __SUNW_D, __SUNW_D_64,
 * __SUNW_D_VERSION (2.0), __amd64 on x86-64; __GNUC__ is not.
 */
#pragma D option quiet
#define GREETING "hello"

BEGIN
{
#if defined(__linux) && defined(__unix) && __SUNW_D == 1 && defined(__SUNW_D_64) && !defined(__GNUC__)
	printf("%s %x line %d\n", GREETING, __SUNW_D_VERSION, __LINE__);
#endif
	exit(0);
}
