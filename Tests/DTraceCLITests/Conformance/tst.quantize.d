#pragma D option quiet
BEGIN
{
	@q = quantize(1); @q = quantize(2); @q = quantize(3); @q = quantize(100);
	@l = lquantize(5, 0, 10, 2); @l = lquantize(-1, 0, 10, 2); @l = lquantize(50, 0, 10, 2);
	exit(0);
}
