/* The x86-64 uregs[] names and their numbers, as Oracle's DTrace defines them. */
#pragma D option quiet
BEGIN
{
	printf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n", R_PC, R_SP, R_R0, R_R1, R_CS, R_GS, R_ES, R_DS,
	    R_EDI, R_ESI, R_EBP, R_EAX, R_ESP, R_EAX, R_EBX, R_ECX, R_EDX, R_TRAPNO, R_ERR, R_EIP, R_CS, R_EFL, R_UESP);
	printf("%d\n", uregs[R_GS]);
	exit(0);
}
