/*
 * cleanpath() as Oracle's DTrace: "//" and "/." dropped, ".." removes the component
 * before it ("/.." is "/"; a relative path keeps the ".." it cannot resolve), no
 * trailing "/"; "" stays "", a relative path cleaned to nothing is ".".
 */
#pragma D option quiet
BEGIN
{
	path[i++] = "/foo/bar/baz";
	path[i++] = "/foo/bar///baz/";
	path[i++] = "/foo/bar/baz/";
	path[i++] = "/foo/bar/baz//";
	path[i++] = "/foo/bar/baz/.";
	path[i++] = "/foo/bar/baz/./";
	path[i++] = "/foo/bar/../../baz/.//";
	path[i++] = "foo/bar/./././././baz/";
	path[i++] = "/foo/bar/baz/../../../../../../";
	path[i++] = "/../../../../../../";
	path[i++] = "/./";
	path[i++] = "/foo/bar/baz/../../bop/bang/../../bar/baz/";
	path[i++] = "./";
	path[i++] = "//";
	path[i++] = "/.";
	path[i++] = "/./.";
	path[i++] = "/.//";
	path[i++] = ".";
	path[i++] = "/////";
	path[i++] = "";
	path[i++] = "a/..";
	path[i++] = "/a/..";
	path[i++] = "/a/..b/.c";
	path[i++] = "../..";
	path[i++] = "a/../..";
	path[i++] = "../a/../b/./c/..";
	path[i++] = "./a";
	path[i++] = "a/./.";
	path[i++] = "x/.../y/";
	path[i++] = "/x/y/z/../../..";
	end = i;
	i = 0;
}

tick-1ms
/i < end/
{
	printf("cleanpath(\"%s\") = \"%s\"\n", path[i], cleanpath(path[i]));
	i++;
}

tick-1ms
/i == end/
{
	exit(0);
}
