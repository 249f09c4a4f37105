/* The D library's translators count: declaring lwpsinfo_t's from struct task_struct *
   again is a redeclaration, whatever its members. */
translator lwpsinfo_t < struct task_struct *T >
{
	pr_lwpid = T->pid;
};

BEGIN
{
	exit(0);
}
