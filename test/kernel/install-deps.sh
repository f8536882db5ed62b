#!/bin/sh
# Installs, from Debian's archive, everything the kernel test tier needs on the host:
#   qemu-system-x86  boots the kernel (TCG; the guest is x86_64 whatever the PiKVM's arch)
#   busybox-static   the initramfs userland (static: no libraries to copy)
#   kmod             depmod / modprobe --show-depends against the downloaded kernel
#   cpio             packs the initramfs
#   v4l-utils        v4l2-ctl, run inside the guest (chrooted into the host root) against vivid
#   libudev1 libusb-1.0-0  loaded by node-hid's prebuilt binaries (hidraw and libusb variants)
# The kernel itself is downloaded by test/kernel/kernel-cache.sh (apt-get download, no install).
set -eu
PACKAGES="qemu-system-x86 busybox-static kmod cpio v4l-utils libudev1 libusb-1.0-0"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
missing=
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "kernel tier: all host packages present"
  exit 0
fi
echo "kernel tier: installing$missing"
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing
