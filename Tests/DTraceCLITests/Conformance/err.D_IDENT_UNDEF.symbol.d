/* A backquoted symbol dtrace cannot resolve is named as written. */
BEGIN
{
	trace(vmlinux`no_such_symbol_here);
}
