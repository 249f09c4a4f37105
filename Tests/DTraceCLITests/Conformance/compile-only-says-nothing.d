/*
 * -e compiles the program and exits without enabling it: dtrace(1) says nothing of
 * the probes matched, and nothing runs.
 */
BEGIN
{
	trace(substr(probename, 2));
	exit(0);
}
