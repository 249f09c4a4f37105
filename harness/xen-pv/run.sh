#!/usr/bin/env bash
# harness/xen-pv/run.sh: proves dtrace inside a real Xen PV guest. Installs QEMU, Xen and
# the Debian kernel from Debian's packages, builds the release dtrace (Swift runtime
# linked statically), packs it with busybox, the workload (workload/workload.c, static),
# the USDT program (workload/usdt/, static)
# and the checks (guest-tests.sh) into an initramfs, boots Xen under QEMU (software
# emulation: TCG) with that kernel as its PV dom0, and then the same initramfs on the
# plain kernel (a second kernel version).
# Fails on any check that fails, on a boot that never reports, or on a time-out.
#   bash harness/xen-pv/run.sh            # both boots
#   BOOTS=xen bash harness/xen-pv/run.sh  # Xen PV dom0 only
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${XEN_HARNESS_WORK:-/tmp/dtrace-xen-pv}"
boots="${BOOTS:-xen plain}"
boot_timeout="${BOOT_TIMEOUT:-240}"
export PATH="/opt/swift/usr/bin:$PATH"

packages="qemu-system-x86 xen-hypervisor-4.17-amd64 linux-image-amd64 busybox-static cpio"
missing=""
for package in $packages; do dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"; done
if [ -n "$missing" ]; then
    echo "xen-pv: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
kernel_version="$(ls /boot | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)"
[ -n "$kernel_version" ] || { echo "xen-pv: no kernel in /boot"; exit 1; }
xen_image="$(ls /boot/xen-*.gz | sort -V | tail -1)"

echo "xen-pv: building dtrace (release, static Swift runtime)"
(cd "$repo" && swift build -c release --static-swift-stdlib 2>&1 | tail -1)
binary="$repo/.build/release/dtrace"

rm -rf "$work"
mkdir -p "$work/root"/{bin,proc,sys,dev,tmp,modules}
cp "$binary" "$work/root/dtrace"
# As the tests build it: functions begin with endbr64 (pid probes' entry and offsets).
cc -O1 -fno-omit-frame-pointer -fcf-protection=full -static -o "$work/root/workload" "$repo/workload/workload.c"
# A program with its own USDT provider (header from this dtrace's -h), static as well.
"$binary" -h -s "$repo/workload/usdt/provider.d" -o "$work/provider.h"
cc -O2 -static -I "$work" -o "$work/root/usdt-app" "$repo/workload/usdt/app.c"
# Drops to nobody for the ptrace engine's checks (busybox's setpriv cannot).
cc -O2 -static -o "$work/root/as-nobody" "$here/as-nobody.c"
cp /bin/busybox "$work/root/bin/busybox"
cp "$here/init" "$work/root/init"
cp "$here/guest-tests.sh" "$work/root/guest-tests.sh"
chmod +x "$work/root/init"
# The shared libraries the binary still needs (glibc and the C++ runtime).
for library in $(ldd "$binary" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
    mkdir -p "$work/root$(dirname "$library")"
    cp -L "$library" "$work/root$library"
done
for module in xen-privcmd xenfs; do
    file="$(find "/lib/modules/$kernel_version" -name "$module.ko*" | head -1)"
    case "$file" in
        *.xz) xz -dc "$file" >"$work/root/modules/$module.ko" ;;
        *.zst) zstd -dqc "$file" >"$work/root/modules/$module.ko" ;;
        *) cp "$file" "$work/root/modules/$module.ko" ;;
    esac
done
gunzip -c "$xen_image" >"$work/xen"

pack() {  # pack EXPECTED-PLATFORM OUTPUT
    printf '%s' "$1" >"$work/root/expect-platform"
    (cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1 >"$2")
}

qemu_common=(-machine q35 -accel tcg -cpu max,-smap -smp 2 -m 2048 -nographic -serial mon:stdio -no-reboot -net none -monitor none)
failures=0
checks_passed=0
checks_failed=0
for boot in $boots; do
    log="$work/$boot.log"
    started=$(date +%s)
    case "$boot" in
        xen)
            pack "Xen PV dom0" "$work/initrd-xen.cpio.gz"
            echo "xen-pv: booting Xen $(basename "$xen_image" .gz) with Linux $kernel_version as PV dom0"
            timeout "$boot_timeout" qemu-system-x86_64 "${qemu_common[@]}" -kernel "$work/xen" \
                -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all" \
                -initrd "/boot/vmlinuz-$kernel_version console=hvc0 earlyprintk=xen rdinit=/init,$work/initrd-xen.cpio.gz" \
                </dev/null >"$log" 2>&1 || true
            ;;
        plain)
            pack "${PLAIN_PLATFORM:-QEMU (TCG)}" "$work/initrd-plain.cpio.gz"
            echo "xen-pv: booting Linux $kernel_version without Xen"
            timeout "$boot_timeout" qemu-system-x86_64 "${qemu_common[@]}" -kernel "/boot/vmlinuz-$kernel_version" \
                -append "console=ttyS0 rdinit=/init" -initrd "$work/initrd-plain.cpio.gz" \
                </dev/null >"$log" 2>&1 || true
            ;;
        *) echo "xen-pv: unknown boot $boot"; exit 2 ;;
    esac
    tr -d '\r' <"$log" >"$log.txt"
    grep -E '^(CHECK|GUEST-|INFO)' "$log.txt" | sed "s/^/  [$boot] /" || true
    summary="$(grep -E '^GUEST-SUMMARY: [0-9]+ passed, [0-9]+ failed' "$log.txt" | tail -1 || true)"
    echo "xen-pv: $boot boot took $(( $(date +%s) - started )) s"
    checks_passed=$((checks_passed + $(grep -c '^CHECK .*: ok$' "$log.txt" || true)))
    checks_failed=$((checks_failed + $(grep -c '^CHECK .*: FAILED' "$log.txt" || true)))
    if [ -z "$summary" ]; then
        echo "xen-pv: $boot boot never reported (timeout ${boot_timeout}s or crash); last lines of its console:"
        tail -40 "$log.txt"
        failures=$((failures + 1))
    elif ! echo "$summary" | grep -q ', 0 failed'; then
        echo "xen-pv: $boot boot had failures; details:"
        sed -n '/^GUEST-START/,/^GUEST-END/p' "$log.txt" | grep -v '^CHECK .*: ok$' | head -120
        failures=$((failures + 1))
    fi
done
if [ "$failures" -ne 0 ]; then
    echo "xen-pv: FAILED ($failures boot(s))"
    echo "xen-pv: $checks_passed passed, $((checks_failed > 0 ? checks_failed : failures)) failed"
    exit 1
fi
echo "xen-pv: all boots passed"
echo "xen-pv: $checks_passed passed, 0 failed"
