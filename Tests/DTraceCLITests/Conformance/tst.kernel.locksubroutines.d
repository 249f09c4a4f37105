/*
 * mutex_owned() and mutex_owner() read a struct mutex's owner word (its low three bits
 * flags) and compare it with the current task; rw_*() mask a queued rwlock's count. A
 * task's group_leader (itself, in a single-threaded process) stands in for an owned
 * mutex's word; its pid's low bytes for a lock count. Linux mutexes are all adaptive.
 */
#pragma D option quiet

BEGIN
{
	this->m = (struct mutex *)&curthread->group_leader;
	this->rw = (rwlock_t *)&curthread->pid;
	printf("owned %d\n", mutex_owned(this->m));
	printf("owner %d\n", mutex_owner(this->m) == curthread);
	printf("free %d %d\n", mutex_owned(&curthread->signal->cred_guard_mutex),
	    mutex_owner(&curthread->signal->cred_guard_mutex) == NULL);
	printf("adaptive %d spin %d\n", mutex_type_adaptive(this->m), mutex_type_spin(this->m));
	printf("write %d\n", rw_write_held(this->rw) == (curthread->pid & 0xff));
	printf("writer %d\n", rw_iswriter(this->rw) == (curthread->pid & 0x1ff));
	printf("read %d\n", rw_read_held(this->rw) == (curthread->pid & ~0x1ff));
	exit(0);
}
