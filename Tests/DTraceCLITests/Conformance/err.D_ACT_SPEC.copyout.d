/* copyout() changes the process: not in a speculation. */
BEGIN
{
	spec = speculation();
}
BEGIN
{
	speculate(spec);
	copyout(&spec, 0, 8);
}
