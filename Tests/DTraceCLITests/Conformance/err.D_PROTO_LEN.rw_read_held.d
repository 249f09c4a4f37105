/* rw_read_held takes one rwlock_t *. */
BEGIN
{
	rw_read_held((rwlock_t *)0, 1);
}
