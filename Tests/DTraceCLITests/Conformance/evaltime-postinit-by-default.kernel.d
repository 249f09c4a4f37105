/* A -c command's probes start where DTrace's evaltime says: by default (postinit) at its
   entry point, after the dynamic linker has opened and loaded its libraries. */
#pragma D option quiet

syscall::openat:entry
/pid == $target/
{
	n++;
}

END
{
	printf("%d opens\n", n);
}
