/*
 * A translator written with braces where its input's angle brackets go: "struct
 * point {" defines struct point again, refused at that brace.
 */
struct point {
	int x;
};

translator struct point
{
	int *p
}
{
	x = *p;
};
