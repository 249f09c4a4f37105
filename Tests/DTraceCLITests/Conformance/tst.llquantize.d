/* llquantize's log-linear buckets (underflow, steps per order of magnitude, overflow)
 * and stddev over values whose squares need more than 64 bits. */
#pragma D option quiet
BEGIN
{
	@l = llquantize(0, 10, 0, 2, 10);
	@l = llquantize(5, 10, 0, 2, 10);
	@l = llquantize(55, 10, 0, 2, 10);
	@l = llquantize(55, 10, 0, 2, 10);
	@l = llquantize(5000, 10, 0, 2, 10);
	@sd = stddev(3000000000);
	@sd = stddev(-3000000000);
	@sd = stddev(9000000000);
	exit(0);
}
