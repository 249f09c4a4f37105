/* uregs[] indexes beyond R_TRAPNO (25 on x86-64) are refused when compiling. */
#pragma D option quiet
BEGIN
{
	trace(uregs[42]);
	exit(0);
}
