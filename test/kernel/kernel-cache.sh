#!/bin/bash
# Puts the current Debian kernel (the linux-image-amd64 dependency of the day) under
# .cache/kernel/<version>/root with a modules.dep, and prints "<version> <root dir>".
# A second run reuses the extracted tree when the resolved version is unchanged; an older
# version's tree is removed. Nothing is installed: apt-get download + dpkg -x only.
set -eu  # no pipefail: `… | head -n1` may close its pipe early
cache_dir=${KERNEL_CACHE_DIR:-"$(cd "$(dirname "$0")/../.." && pwd)/.cache/kernel"}
mkdir -p "$cache_dir"

# "linux-image-amd64  Depends: linux-image-6.1.0-56-amd64" → linux-image-6.1.0-56-amd64
resolve() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*$/\1/p' | head -n1
}
pkg=$(resolve)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
  echo "kernel-cache: linux-image-amd64 unknown to apt, running apt-get update" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || true
  pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
  echo "kernel-cache: cannot resolve linux-image-amd64 (run apt-get update?)" >&2
  exit 1
fi
# The package version (security updates rebuild the same ABI name): part of the cache key.
pkg_version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: *//p' | head -n1)
release=${pkg#linux-image-}          # 6.1.0-56-amd64 = the modules directory name
key="$release@$pkg_version"
tree="$cache_dir/$release"
if [ -f "$tree/.complete" ] && [ "$(cat "$tree/.complete")" = "$key" ]; then
  echo "$release $tree/root"
  exit 0
fi

echo "kernel-cache: fetching $pkg $pkg_version" >&2
for old in "$cache_dir"/*/; do
  [ -d "$old" ] && rm -rf "$old"
done
mkdir -p "$tree/deb"
(cd "$tree/deb" && apt-get download -q "$pkg=$pkg_version" >&2)
dpkg -x "$tree"/deb/*.deb "$tree/root"
rm -rf "$tree/deb"
# The .deb ships no modules.dep: the postinst runs depmod. Do it against the extracted tree.
depmod -b "$tree/root" "$release"
test -f "$tree/root/boot/vmlinuz-$release"
echo "$key" > "$tree/.complete"
echo "$release $tree/root"
