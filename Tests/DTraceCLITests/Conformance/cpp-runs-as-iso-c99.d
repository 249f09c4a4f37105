/* -C runs cpp for ISO C99 unless -X s asks for traditional cpp, as Oracle's DTrace:
   system headers take their strict paths (<endian.h> brings no C functions). */
#include <endian.h>

#pragma D option quiet

BEGIN
{
#ifdef __STRICT_ANSI__
	printf("strict ISO C\n");
#endif
#if __BYTE_ORDER == __LITTLE_ENDIAN
	printf("little-endian: %x\n", htons(0x1122));
#endif
	exit(0);
}
