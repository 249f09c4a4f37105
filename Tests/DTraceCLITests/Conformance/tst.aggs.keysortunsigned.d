/*
 * Integer keys sort as unsigned numbers of their width, as dtrace compares them: a
 * negative key sorts after the positive ones; a char key prints unsigned.
 */
#pragma D option quiet
#pragma D option aggsortkey

BEGIN
{
	@c[(char)-1] = sum(1);
	@c[(char)2] = sum(2);
	@i[-2] = sum(3);
	@i[1] = sum(4);
	@l[(long long)-5] = sum(5);
	@l[(long long)7] = sum(6);
	exit(0);
}
