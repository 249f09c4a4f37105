/* copyin() allocates too: its size is checked against -x scratchsize. */
BEGIN
{
	copyin(arg0, 33);
}
