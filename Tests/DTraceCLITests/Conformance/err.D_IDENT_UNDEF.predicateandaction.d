/* Unknown in the predicate and in the actions: the predicate's error is named. */
BEGIN
/x != 0/
{
	exit(x);
}
