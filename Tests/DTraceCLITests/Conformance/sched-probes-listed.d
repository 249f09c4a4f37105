/*
 * The sched provider's probes are listed in module vmlinux, as DTrace on Linux lists
 * them, with its probe description attributes (the least of the provider's, module's
 * and name's) and the typed arguments: dequeue's args[3] is the dequeue flags.
 */
sched:::dequeue,
sched:::surrender
{
}
