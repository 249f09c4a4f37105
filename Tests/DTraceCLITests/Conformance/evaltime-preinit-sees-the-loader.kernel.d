/* evaltime=preinit: a -c command's probes start right after its exec, so the dynamic
   linker's opens (its cache, libc) are seen. */
#pragma D option quiet
#pragma D option evaltime=preinit

syscall::openat:entry
/pid == $target/
{
	n++;
}

END
{
	printf("%d opens\n", n);
}
