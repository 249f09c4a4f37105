/*
 * sched:::surrender fires for a thread yielding its CPU (sched_yield), sched:::tick for
 * the scheduler tick in the thread it interrupts: both describe that thread in args[0]
 * (lwpsinfo_t) and args[1] (psinfo_t).
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	system("python3 -c 'import os; os.sched_yield()'; timeout 1 sh -c 'while :; do :; done'");
}

sched:::surrender
/progenyof($pid)/
{
	printf("surrender %s %d %d\n", execname, args[0]->pr_lwpid == tid, args[1]->pr_pid == pid);
	yielded = 1;
}

sched:::tick
/yielded && execname == "sh" && progenyof($pid)/
{
	printf("tick %s %d %d\n", execname, args[0]->pr_lwpid == tid, args[1]->pr_pid == pid);
	exit(0);
}

tick-5s
{
	printf("no tick in the busy loop\n");
	exit(1);
}
