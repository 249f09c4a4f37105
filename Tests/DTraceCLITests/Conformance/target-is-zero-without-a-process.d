/* Without -c or -p, $target is 0, as in DTrace (a predicate on it compiles). */
BEGIN
/$target == 0/
{
	printf("target %d\n", $target);
	exit(0);
}
