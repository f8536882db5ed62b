#!/bin/bash
# Builds the guest initramfs: static busybox, the modules of modules.txt in load order, and
# guest-init.sh as /init. Usage: initramfs.sh <kernel root> <kernel release> <output .cpio.gz>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kroot=$1 release=$2 out=$3
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,host,etc,lib/modules}
cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/guest-init.sh" "$stage/init"

# Each listed module expands to its dependency chain; a module already loaded is skipped, and
# only the listed module gets the parameters. Lines of the load list: <path under lib/modules> [params]
modroot="$kroot/lib/modules/$release"
grep -v -e '^#' -e '^[[:space:]]*$' "$here/modules.txt" | while read -r name params; do
  modprobe -d "$kroot" -S "$release" --show-depends "$name" | while read -r verb path _; do
    [ "$verb" = insmod ] || continue   # "builtin <name>" needs nothing
    echo "$path"
  done | sed "s|^.*/lib/modules/$release/||" | {
    deps=()
    while read -r rel; do deps+=("$rel"); done
    last=$(( ${#deps[@]} - 1 ))
    for i in "${!deps[@]}"; do
      if [ "$i" -eq "$last" ]; then echo "${deps[$i]} $params"; else echo "${deps[$i]}"; fi
    done
  }
done | awk '!seen[$1]++' > "$stage/etc/modules.load"

while read -r rel _; do
  mkdir -p "$stage/lib/modules/$(dirname "$rel")"
  cp "$modroot/$rel" "$stage/lib/modules/$rel"
done < "$stage/etc/modules.load"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
