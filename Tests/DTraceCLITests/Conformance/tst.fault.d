#pragma D option quiet
BEGIN
{
	x = 0;
	y = 1 / x;
	printf("not reached\n");
}
BEGIN
{
	printf("still tracing\n");
	exit(0);
}
ERROR
{
	printf("ERROR fired for epid %d\n", arg1);
}
