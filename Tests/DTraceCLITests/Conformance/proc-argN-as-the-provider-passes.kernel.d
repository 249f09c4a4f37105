/* argN of a provider that defines its arguments is the argument as the provider passes
   it, not the tracepoint's own: proc:::exit's arg0 is the reason (CLD_EXITED), as args[0]. */
#pragma D option quiet

proc:::exit
/pid == $target && arg0 == CLD_EXITED/
{
	printf("%d %d\n", arg0, args[0]);
}
