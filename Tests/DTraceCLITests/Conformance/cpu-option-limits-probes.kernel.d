/*
 * -x cpu=N: probes record only what fires on CPU N (profile-N's timers on every CPU
 * fire there alone; tick-N's timer goes to CPU N).
 */
#pragma D option quiet

profile-997
{
	@[cpu] = count();
}

tick-200ms
{
	printf("tick on %d\n", cpu);
	exit(0);
}

END
{
	printa("profile on %d\n", @);
}
