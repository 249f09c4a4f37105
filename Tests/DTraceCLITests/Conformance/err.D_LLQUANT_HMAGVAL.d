/*
 * llquantize()'s factor raised to its high magnitude must fit in 64 bits (a range this
 * wide once made dtrace try to allocate tens of gigabytes).
 */
BEGIN
{
	@ = llquantize(1, 10, 0, 60, 10);
}
