/* #pragma D attributes needs the attributes and the name they apply to. */
#pragma D attributes Evolving/Evolving/Common
BEGIN
{
	exit(0);
}
