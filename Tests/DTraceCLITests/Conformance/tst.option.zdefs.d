/* -x zdefs is -Z: a description that matches no probe is left out, not refused. */
#pragma D option quiet

BEGIN, nosuch:provider:at:all
{
	printf("ran\n");
	exit(0);
}
