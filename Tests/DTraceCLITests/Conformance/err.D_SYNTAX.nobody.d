/*
 * In a script, a probe description needs a predicate or actions after it (on the
 * command line, -n BEGIN alone is a clause).
 */
BEGIN
	exit(0);
}
