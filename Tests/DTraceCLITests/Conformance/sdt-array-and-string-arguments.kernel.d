/*
 * sdt probes type their positional arguments from the tracepoint's format: an array
 * field (task_rename's char oldcomm[16]) and a __data_loc string (sched_process_exec's
 * filename) read as the characters they hold, as args->field does.
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	system("exec /bin/true");
}

sdt:task::task_rename
/ppid == $pid/
{
	printf("rename %s -> %s (%s)\n", stringof(args[1]), stringof(args[2]), args->newcomm);
}

sdt:sched::sched_process_exec
/ppid == $pid/
{
	printf("exec %s %d\n", stringof(args[0]), args[1] == pid);
}

sdt:sched::sched_process_exec
/ppid == $pid && stringof(args[0]) == "/bin/true"/
{
	exit(0);
}

tick-5s
{
	printf("the exec was not traced\n");
	exit(1);
}
