/* workload/usdt/provider.d: the USDT provider of workload/usdt/app.c (its header is made
 * with dtrace -h -s provider.d at build time). */
provider myapp {
    probe tick(int, char *);
    probe counted(long);
};
