/*
 * An enum defined with enumerators a second time: "type redeclared".
 */
enum color { RED };
enum color { GREEN };

BEGIN
{
	exit(0);
}
