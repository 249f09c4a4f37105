/*
 * An enumerator's value must be an integer constant; the error names the line
 * after the enumerator.
 */
enum level {
	LOW = 1,
	HIGH = "high"
};

BEGIN
{
	exit(0);
}
