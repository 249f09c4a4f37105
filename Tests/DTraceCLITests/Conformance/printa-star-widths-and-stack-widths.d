/*
 * printa(): a "*" width takes the next key, as printf takes its next argument (a
 * negative width left-justifies); a stack key prints a newline, then each frame
 * through the conversion, so an empty stack prints only the newline.
 */
#pragma D option quiet

BEGIN
{
	@w[10, 100] = sum(1);
	@w[-10, 200] = sum(2);
	printa("-->%-*d<--\n", @w);
	printa("-->%*d<--\n", @w);
	@s[stack()] = count();
	printa("[%k]\n", @s);
	printa("[%-20k]\n", @s);
	exit(0);
}
