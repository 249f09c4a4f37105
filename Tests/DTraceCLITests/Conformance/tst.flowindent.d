/* -F's layout for probes that are neither an entry nor a return: "| function:name". */
#pragma D option flowindent
BEGIN
{
	trace(1);
}

BEGIN
{
	exit(0);
}
