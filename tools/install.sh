#!/usr/bin/env bash
# tools/install.sh: installs dtrace as a system tool — the release binary (Swift runtime
# linked in, so it runs without the toolchain) at $PREFIX/sbin/dtrace, where
# `#!/usr/sbin/dtrace -s` scripts find it, and the manual page docs/dtrace.8, gzipped, at
# $MANDIR/man8/dtrace.8.gz, where `man dtrace` finds it.
#   sudo tools/install.sh                      # builds, installs to /usr
#   sudo tools/install.sh --uninstall          # removes both files
#   DESTDIR=/tmp/stage tools/install.sh        # stages under /tmp/stage (packaging)
#   tools/install.sh --binary PATH             # installs PATH instead of building
# Environment: PREFIX (/usr), MANDIR ($PREFIX/share/man), DESTDIR (empty).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${PREFIX:-/usr}"
mandir="${MANDIR:-$prefix/share/man}"
destdir="${DESTDIR:-}"
binary=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) uninstall=1 ;;
        --binary) [ $# -ge 2 ] || { echo "install.sh: --binary needs a path" >&2; exit 2; }; binary="$2"; shift ;;
        --binary=*) binary="${1#--binary=}" ;;
        -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (--uninstall, --binary PATH)" >&2; exit 2 ;;
    esac
    shift
done
target="$destdir$prefix/sbin/dtrace"
page="$destdir$mandir/man8/dtrace.8.gz"

if [ "$uninstall" = 1 ]; then
    for file in "$target" "$page"; do
        if [ -e "$file" ]; then rm -f "$file" && echo "removed $file"; fi
    done
    if [ -z "$destdir" ]; then
        # The page as man formatted it (a "cat" page), and man's index.
        rm -f /var/cache/man/cat8/dtrace.8.gz /var/cache/man/local/cat8/dtrace.8.gz
        if command -v mandb >/dev/null; then mandb -q 2>/dev/null || true; fi
    fi
    exit 0
fi

if [ -z "$binary" ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    echo "install.sh: building dtrace (release, static Swift runtime)"
    (cd "$repo" && swift build -c release --static-swift-stdlib 2>&1 | tail -1)
    binary="$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)/dtrace"
fi
[ -x "$binary" ] || { echo "install.sh: no dtrace binary at $binary" >&2; exit 1; }

install -d -m 0755 "$(dirname "$target")" "$(dirname "$page")"
# Through a temporary name, so a dtrace running from $target keeps its file.
install -m 0755 "$binary" "$target.new"
mv -f "$target.new" "$target"
gzip -9n <"$repo/docs/dtrace.8" >"$page.new"
chmod 0644 "$page.new"
mv -f "$page.new" "$page"
echo "installed $target"
echo "installed $page"
if [ -z "$destdir" ]; then
    # Refresh man's index (whatis, apropos); man finds the page without it.
    if command -v mandb >/dev/null; then mandb -q 2>/dev/null || true; fi
    # Debian's systemtap-sdt-dev has a dtrace of its own (a script for -h/-G only) in
    # /usr/bin, with a dtrace(1) page that man shows before section 8.
    other="$(type -ap dtrace 2>/dev/null | while read -r path; do realpath "$path"; done | sort -u | grep -vx "$(realpath "$target")" || true)"
    if [ -n "$other" ]; then
        echo "note: another dtrace is installed ($(echo $other)); run this one as $target (ordinary users' PATH may lack $(dirname "$target")); its page is 'man 8 dtrace'"
    fi
fi
