/*
 * -x aggpercpu: printa() shows each CPU's part after an aggregation's value, the
 * function's empty value where a CPU added nothing (min()'s is the largest
 * number). BEGIN fires on CPU 1 here (-x cpu=1).
 */
#pragma D option quiet
#pragma D option aggpercpu

BEGIN
{
	@count = count();
	@least = min(5);
	@total["key"] = sum(3);
	exit(0);
}
