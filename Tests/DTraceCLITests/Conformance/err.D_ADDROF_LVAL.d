/* Only an object has an address. */
BEGIN
{
	trace(&(1 + 2));
}
