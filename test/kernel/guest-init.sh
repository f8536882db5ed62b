#!/bin/sh
# /init of the guest (busybox). Loads the modules, mounts the host root read-only over virtio-9p,
# gives it the guest's own /proc, /sys, /dev, configfs and tmpfs scratch space, mounts the writable
# results share, and runs guest-run.sh chrooted into the host root. Every line meant for the host
# runner starts with "KTIER-" (the console also carries kernel messages and terminal escapes).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
up() { read -r t _ < /proc/uptime; echo "t=${t}s"; }
echo "KTIER-BOOTED $(uname -r) $(up)"

while read -r rel params; do
  # shellcheck disable=SC2086 # params is a list of module parameters
  insmod "/lib/modules/$rel" $params || echo "KTIER-WARN insmod $rel failed"
done < /etc/modules.load
echo "KTIER-INFO modules loaded $(up)"

# The host side of dummy_hcd is this kernel: the gadget keyboard is its keyboard too. The HID tests
# press Ctrl+Alt+Delete and Alt+SysRq+B, which would reboot the guest (kernel/reboot.c ctrl_alt_del,
# drivers/tty/sysrq.c). Make the first a signal to init (ignored by PID 1) and disable SysRq.
echo 0 > /proc/sys/kernel/ctrl-alt-del
echo 0 > /proc/sys/kernel/sysrq
trap 'echo "KTIER-INFO init got SIGINT (Ctrl+Alt+Delete on the guest keyboard)"' INT

finish() {
  echo "KTIER-DONE rc=$1"
  echo "KTIER-INFO finished $(up)"
  sync
  poweroff -f
}

opts=trans=virtio,version=9p2000.L,msize=512000${KTIER_9P_CACHE:+,cache=$KTIER_9P_CACHE}
mount -t 9p -o "ro,$opts" hostroot /host || finish 90
for fs in proc sysfs devtmpfs; do
  case $fs in proc) at=/host/proc ;; sysfs) at=/host/sys ;; devtmpfs) at=/host/dev ;; esac
  mount -t "$fs" "$fs" "$at" || finish 91
done
mount -t configfs configfs /host/sys/kernel/config || finish 92
mount -t devpts devpts /host/dev/pts 2>/dev/null
# Keep a view of the host's /tmp and /run before covering them with the guest's scratch tmpfs: a
# checkout under /tmp (a CI clone, say) must stay reachable (bound back below, once PROJECT is known).
mkdir -p /hosttmp /hostrun
mount -o bind /host/tmp /hosttmp || finish 93
mount -o bind /host/run /hostrun || finish 93
mount -t tmpfs -o size=256m tmpfs /host/tmp || finish 93
mount -t tmpfs tmpfs /host/run || finish 93
mkdir -p /host/tmp/ktier-results
mount -t 9p -o "$opts" results /host/tmp/ktier-results || finish 94

# plan: PROJECT=<project dir> and TESTS=<compiled test files, relative to PROJECT>, written by run.sh.
. /host/tmp/ktier-results/plan
case $PROJECT in
  /tmp/*) mkdir -p "/host$PROJECT" && mount -o bind "/hosttmp/${PROJECT#/tmp/}" "/host$PROJECT" || finish 95 ;;
  /run/*) mkdir -p "/host$PROJECT" && mount -o bind "/hostrun/${PROJECT#/run/}" "/host$PROJECT" || finish 95 ;;
esac
echo "KTIER-START $(up)"
chroot /host /bin/sh "$PROJECT/test/kernel/guest-run.sh" /tmp/ktier-results
finish $?
