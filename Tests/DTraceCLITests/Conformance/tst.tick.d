#pragma D option quiet
int i;
tick-10ms
/i < 3/
{
	i++;
	printf("tick %d\n", i);
}
tick-10ms
/i == 3/
{
	exit(0);
}
END
{
	printf("end\n");
}
