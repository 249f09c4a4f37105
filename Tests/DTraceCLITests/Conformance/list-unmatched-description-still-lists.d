/*
 * dtrace -l names each description that matches nothing and lists the rest; the
 * listing succeeds (status 0), as Oracle's.
 */
nosuch:::
{
}

dtrace:::END
{
}
