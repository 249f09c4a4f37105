nosuchprovider:::nosuchprobe
{
	trace(1);
}
