/*
 * One variable may not hold both an alloca() pointer and any other value but
 * 0 (NULL), in any order, across clauses: the clause that mixes them is named.
 */
BEGIN
{
	a = (char *)alloca(1);
	a = NULL;
}

BEGIN
{
	a = (char *)64;
}
