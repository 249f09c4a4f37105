/* uregs[] takes an integer constant naming a register, as in Oracle's DTrace. */
BEGIN
{
	i = R_SP;
	trace(uregs[i]);
	exit(1);
}
