/* An allocation of a constant size beyond the scratchsize set. */
#pragma D option scratchsize=128
BEGIN
{
	buf = alloca(200);
}
