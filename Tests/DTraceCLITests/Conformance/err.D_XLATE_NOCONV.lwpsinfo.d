/* lwpsinfo_t has pr_oldpri, but its translator does not convert it. */
BEGIN
{
	trace(curlwpsinfo->pr_oldpri);
}
