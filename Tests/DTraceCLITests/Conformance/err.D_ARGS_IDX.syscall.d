/* write(2) has three arguments: args[3] is past them. */
syscall::write:entry
{
	trace(args[3]);
}
