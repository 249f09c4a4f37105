/* D`name is the program's own type of that name. */
struct pair {
	int first;
	long second;
};
BEGIN
{
	printf("%d %d\n", sizeof(struct D`pair), offsetof(struct D`pair, second));
	exit(0);
}
