/* Attributes and bindings for names declared before or after the pragma; an unknown
 * #pragma (not #pragma D) is ignored. */
#pragma D attributes Stable/Stable/Common later
#pragma D binding "1.2" earlier
#pragma once_more please
inline int earlier = 1;
inline int later = 2;
BEGIN
{
	printf("%d %d\n", earlier, later);
	exit(0);
}
