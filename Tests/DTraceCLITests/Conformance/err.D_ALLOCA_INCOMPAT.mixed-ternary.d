/*
 * A ?: with an alloca() branch and another cannot be stored: reading the
 * variable would not know which memory it names.
 */
BEGIN
{
	a = (char *)alloca(1);
	a = (a == NULL) ? (char *)50 : a;
}
