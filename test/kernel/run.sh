#!/bin/bash
# The kernel test tier: boots the current Debian kernel in QEMU (TCG) and runs the guest tap tests
# of test/kernel/guest/ against the real drivers (configfs gadget on dummy_hcd, f_hid, f_mass_storage,
# vivid). Usage: run.sh [name-filter…]   e.g. `run.sh gadget` runs guest/*gadget*.test.ts only.
# Exit status: 0 only when the guest booted, ran every selected test, and all of them passed.
# Environment: KTIER_TIMEOUT (whole boot, default 270 s), KTIER_TEST_TIMEOUT (the guest test process,
# default 220 s), KTIER_NO_BUILD=1 (skip compiling: run .cache/kernel-tier/dist as it is, e.g. after
# editing the compiled JavaScript to check that a test goes red).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
work="$project/.cache/kernel-tier"
boot_timeout=${KTIER_TIMEOUT:-400}
test_timeout=${KTIER_TEST_TIMEOUT:-340}
say() { echo "kernel tier: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }
started=$SECONDS

# 1. Prerequisites. Missing ones are installed when we may (root or password-less sudo); otherwise
#    the tier fails with the exact command. It never skips.
missing_prereqs() {
  local m=()
  for cmd in qemu-system-x86_64 depmod modprobe cpio v4l2-ctl apt-get dpkg node; do
    command -v "$cmd" >/dev/null || m+=("$cmd")
  done
  # busybox-static's binary: the initramfs has no libraries ("not a dynamic executable" from ldd)
  case $(ldd /bin/busybox 2>&1) in *'not a dynamic'*) ;; *) m+=("static /bin/busybox") ;; esac
  # (captured first: `ldconfig -p | grep -q` fails under pipefail when grep exits early)
  case $(ldconfig -p 2>/dev/null) in *libusb-1.0.so.0*) ;; *) m+=("libusb-1.0.so.0") ;; esac
  echo "${m[*]:-}"
}
missing=$(missing_prereqs)
if [ -n "$missing" ]; then
  say "missing prerequisites: $missing"
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    say "installing them: bash test/kernel/install-deps.sh"
    bash "$here/install-deps.sh" >&2 || die "install-deps.sh failed"
    missing=$(missing_prereqs)
  fi
  [ -z "$missing" ] || die "still missing: $missing
  install with: sudo bash test/kernel/install-deps.sh
  (= sudo apt-get install -y qemu-system-x86 busybox-static kmod cpio v4l-utils libudev1 libusb-1.0-0)"
fi

# 2. Kernel (cached under .cache/kernel/<release>, refreshed when linux-image-amd64 moves on).
read -r release kroot < <(bash "$here/kernel-cache.sh") || die "kernel download failed"
[ -n "${kroot:-}" ] || die "kernel download failed"
say "kernel $release"

# 3. initramfs, rebuilt when its inputs change.
stamp=$(cat "$here/modules.txt" "$here/guest-init.sh" "$here/initramfs.sh" /bin/busybox | sha256sum | cut -c1-16)
initrd="$(dirname "$kroot")/initramfs-$stamp.cpio.gz"
if [ ! -f "$initrd" ]; then
  rm -f "$(dirname "$kroot")"/initramfs-*.cpio.gz
  bash "$here/initramfs.sh" "$kroot" "$release" "$initrd" || die "initramfs build failed"
fi

# 4. Select and compile the guest tests (only them, guest-main.ts and what they import) into
#    .cache/kernel-tier/dist; other modules' type errors do not stop the tier.
mkdir -p "$work"
# One run at a time per checkout: runs share the compiled tree and console.log.
exec 9>"$work/lock"
flock -n 9 || { say "another kernel-tier run holds $work/lock; waiting"; flock 9; }
shopt -s nullglob
selected=()
# smoke first: it checks the tier itself on a pristine kernel, so its failure explains the others'.
for f in "$here"/guest/smoke.test.ts "$here"/guest/*.test.ts; do
  name=$(basename "$f" .test.ts)
  case " ${selected[*]} " in *" $f "*) continue ;; esac
  if [ $# -eq 0 ]; then selected+=("$f"); continue; fi
  for filter in "$@"; do
    case $name in *"$filter"*) selected+=("$f"); break ;; esac
  done
done
[ ${#selected[@]} -gt 0 ] || die "no guest test matches: $* (have: $(cd "$here/guest" && echo *.test.ts))"
files_json=$(printf '"%s",' "$here/guest-main.ts" "${selected[@]}")
cat > "$work/tsconfig.json" <<JSON
{ "extends": "../../tsconfig.json",
  "compilerOptions": { "outDir": "dist", "rootDir": "../..", "incremental": true,
                       "tsBuildInfoFile": "dist/.tsbuildinfo" },
  "files": [${files_json%,}], "include": [] }
JSON
if [ "${KTIER_NO_BUILD:-}" = 1 ]; then
  say "KTIER_NO_BUILD=1: running the JavaScript already in $work/dist"
elif ! (cd "$project" && npx tsc -p "$work/tsconfig.json") > "$work/tsc.log" 2>&1; then
  say "warning: type errors while compiling the guest tests (emitted anyway):"
  grep 'error TS' "$work/tsc.log" | sed 's/^/  /' | head -n 40 >&2
fi
js_of() { local rel=${1#"$project/"}; echo "$work/dist/${rel%.ts}.js"; }
tests=()
for f in "$here/guest-main.ts" "${selected[@]}"; do
  js=$(js_of "$f")
  [ -f "$js" ] || die "compiling ${f#"$project/"} produced no $js"
  case $js in *[[:space:]]*) die "paths with spaces are not supported: $js" ;; esac
  tests+=("${js#"$project/"}")
done
main=${tests[0]}
tests=("${tests[@]:1}")

# 5. Boot. The results share is writable; the host root is shared read-only.
results=$(mktemp -d "$work/results.XXXXXX")
trap 'rm -rf "$results"' EXIT
printf 'PROJECT=%q\nMAIN=%q\nTESTS=%q\nTEST_TIMEOUT=%q\n' "$project" "$main" "${tests[*]}" "$test_timeout" > "$results/plan"
console="$work/console.log"
say "booting (TCG, timeout ${boot_timeout}s): ${tests[*]##*/}"
timeout -k 5 "$boot_timeout" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 2 -m 1024 -display none -monitor none -serial stdio -no-reboot \
  -kernel "$kroot/boot/vmlinuz-$release" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 KTIER_9P_CACHE=${KTIER_9P_CACHE:-loose}" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$results,mount_tag=results,security_model=none" \
  < /dev/null 2>&1 | tr -d '\r' | tee "$console" | grep --line-buffered -a '^KTIER-' >&2
qemu_rc=${PIPESTATUS[0]}

# 6. Report: the guest's TAP stream, then a verdict.
elapsed=$((SECONDS - started))
echo "=== guest TAP (${tests[*]##*/})"
[ -f "$results/guest.tap" ] && cat "$results/guest.tap"
echo "=== end of guest TAP"
not_ok=$(grep -a '^not ok ' "$results/guest.tap" 2>/dev/null)
if grep -aq 'Kernel panic' "$console"; then
  grep -a -A20 'Kernel panic' "$console" | head -n 30 >&2
  die "kernel panic (full console: $console)"
fi
[ "$qemu_rc" -ne 124 ] && [ "$qemu_rc" -ne 137 ] || die "guest did not finish within ${boot_timeout}s (console: $console)"
done_line=$(grep -a '^KTIER-DONE' "$console" | tail -n1)
if [ -z "$done_line" ]; then
  grep -aq 'reboot: Restarting system' "$console" && say "the guest kernel rebooted (a key combo reaching its own keyboard?)"
  die "guest ended without its KTIER-DONE marker (qemu exit $qemu_rc; console: $console)"
fi
guest_rc=$(cat "$results/guest.rc" 2>/dev/null || echo missing)
[ "$guest_rc" != 124 ] || die "guest tests did not finish within ${test_timeout}s (KTIER_TEST_TIMEOUT)"
if [ "$guest_rc" != 0 ] || [ -n "$not_ok" ]; then
  [ -z "$not_ok" ] || printf '%s\n' "$not_ok" | sed 's/^/  /' >&2
  die "guest tests failed (exit $guest_rc, ${elapsed}s; console: $console)"
fi
[ "$done_line" = "KTIER-DONE rc=0" ] || die "guest reported $done_line (console: $console)"
plan_line=$(grep -a '^1\.\.[0-9]' "$results/guest.tap" | tail -n1)
[ -n "$plan_line" ] || die "guest TAP has no plan line: incomplete output"
say "passed: ${tests[*]##*/} (${elapsed}s)"
