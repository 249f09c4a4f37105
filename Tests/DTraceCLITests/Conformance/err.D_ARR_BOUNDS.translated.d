/* A translated char array member keeps its bounds (pr_name is char[16]). */
BEGIN
{
	trace(curlwpsinfo->pr_name[16]);
}
