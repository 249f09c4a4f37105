/* Quiet, trace() prints integers bare, unsigned ones as unsigned. */
#pragma D option quiet

BEGIN
{
	trace((uint64_t)-1); trace(" ");
	trace((uint32_t)-1); trace(" ");
	trace((int32_t)-1); trace(" ");
	trace((uint8_t)-1); trace(" ");
	trace((char)-1); trace("\n");
	exit(0);
}
