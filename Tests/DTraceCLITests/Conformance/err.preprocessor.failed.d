/* cpp's own diagnostics (lines, no columns), then DTrace's one line; exit 1. */
BEGIN
{
#else
}
