/*
 * The io provider's b_flags values and lockstat's reader/writer values are the D
 * library's inlines, with DTrace's numbers.
 */
#pragma D option quiet

BEGIN
{
	printf("B_BUSY %x B_DONE %x B_ERROR %x B_PAGEIO %x B_PHYS %x\n", B_BUSY, B_DONE, B_ERROR, B_PAGEIO, B_PHYS);
	printf("B_READ %x B_WRITE %x B_ASYNC %x\n", B_READ, B_WRITE, B_ASYNC);
	printf("RW_READER %d RW_WRITER %d\n", RW_READER, RW_WRITER);
	printf("%d %d %d\n", sizeof (bufinfo_t), sizeof (devinfo_t) > 0, sizeof (fileinfo_t) > 0);
	exit(0);
}
