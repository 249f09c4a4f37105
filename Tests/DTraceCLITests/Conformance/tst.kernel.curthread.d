/*
 * The kernel's own types: curthread (struct task_struct *, from the kernel's BTF),
 * members through pointers (real_parent->tgid), a bitfield, a pointer kept in a
 * variable, a cast; and DTrace's translated views of it: curpsinfo, curlwpsinfo
 * (psinfo_t, lwpsinfo_t) and curcpu. BEGIN fires in dtrace itself, so each value is
 * compared with the built-in that says the same. Only the kernel engine reads kernel
 * memory; the user engine refuses this script.
 */
#pragma D option quiet

BEGIN
{
	printf("pid %d tid %d\n", curthread->tgid == pid, curthread->pid == tid);
	printf("comm %d %s\n", stringof(curthread->comm) == execname, stringof(curthread->comm));
	printf("parent %d\n", curthread->real_parent->tgid == ppid);
	printf("credentials %d %d\n", curthread->cred->uid.val == uid, curthread->cred->gid.val == gid);
	printf("bitfield %d\n", curthread->in_execve);
	this->task = curthread;
	printf("variable %d\n", this->task->pid == tid);
	printf("cast %d\n", ((struct task_struct *)curthread)->tgid == pid);
	printf("psinfo %d %d %d %d %s %d\n", curpsinfo->pr_pid == pid, curpsinfo->pr_ppid == ppid,
	    curpsinfo->pr_uid == uid, curpsinfo->pr_gid == gid, curpsinfo->pr_fname, curpsinfo->pr_dmodel);
	printf("lwpsinfo %d %c %d %s\n", curlwpsinfo->pr_lwpid == tid, curlwpsinfo->pr_sname,
	    curlwpsinfo->pr_onpro == cpu, curlwpsinfo->pr_name);
	printf("xlate %d %d\n", xlate<psinfo_t *>(curthread)->pr_pid == pid, xlate<psinfo_t>(curthread->real_parent).pr_pid == ppid);
	printf("whole %d\n", (*curpsinfo).pr_addr == (uintptr_t)curthread);
	printf("cpu %d\n", curcpu->cpu_id == cpu);
	exit(0);
}
