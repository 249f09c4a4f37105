/* A kernel struct's member named like a D keyword (cgroup's self). */
BEGIN
{
	printf("%d\n", curthread->cgroups->dfl_cgrp->self.cgroup == curthread->cgroups->dfl_cgrp);
	exit(0);
}
