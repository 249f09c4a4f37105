/* Past the saved registers, uregs[] reads the thread's own fields, as Oracle's DTrace
   does: R_DS, R_ES, R_FS, R_GS and R_TRAPNO are thread.ds, es, fsbase, gsbase, trap_nr. */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d %d\n", uregs[R_DS] == curthread->thread.ds, uregs[R_ES] == curthread->thread.es,
	    uregs[R_FS] == curthread->thread.fsbase, uregs[R_GS] == curthread->thread.gsbase,
	    uregs[R_TRAPNO] == curthread->thread.trap_nr);
	printf("%d\n", uregs[R_FS] != 0);
	exit(0);
}
