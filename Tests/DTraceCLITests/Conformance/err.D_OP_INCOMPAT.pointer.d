/*
 * A pointer variable takes no integer but 0 (a cast says what is meant).
 */
BEGIN
{
	self->task = curthread;
	self->task = 0;
	self->task = (struct task_struct *)arg0;
	self->task = pid;
}
