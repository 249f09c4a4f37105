/* amin: a subroutine less stable than the minimum is named with its attributes. */
#pragma D option amin=Stable/Stable/Common

dtrace:::BEGIN
{
	trace(htons(1));
	exit(0);
}
