/* The unmatched description is named at its own line. */
BEGIN,
nosuch:provider:at:all
{
	exit(0);
}
