/* An action this dtrace does not run is still checked against its prototype first. */
BEGIN
{
	stop(1);
}
