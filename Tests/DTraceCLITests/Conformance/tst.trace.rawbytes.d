/* rawbytes: trace() shows each value's bytes (a string: strsize bytes and its
 * terminator). */
#pragma D option rawbytes
#pragma D option strsize=6
BEGIN
{
	trace("ab");
	trace((short)0x4142);
	exit(0);
}
