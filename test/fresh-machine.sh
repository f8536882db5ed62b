#!/usr/bin/env bash
# Fresh machine check: runs the README's test command in a new, minimal Debian 12 root, so a tool
# or Debian package that .ci/install-deps forgets fails here instead of on the next new machine
# (a long-lived machine hides it: its packages were installed by hand once and stay).
#
# The root is what a new machine of this project's kind has and nothing more: Debian 12 (mmdebstrap
# --variant=apt) plus git, ca-certificates, python3, make and g++, this machine's Node.js and npm
# (with Node's headers and npm's settings), its apt sources and local apt settings, its extra CA
# certificates and /etc/hosts. Into it the committed HEAD of this checkout is cloned (`git clone`,
# not a copy of the work tree), and the README's test command runs there under chroot, as root,
# with CI=true and no standard input, as CI runs .ci/run.
#
# Usage (as root): bash test/fresh-machine.sh
# Environment: FRESH_KEEP=1 builds the Debian root once into $FRESH_CACHE (default
#   /var/tmp/pikvm-agent-fresh-cache) and starts later runs from a copy of it (saves the
#   mmdebstrap step; it is rebuilt when the package list, sources or apt settings change), and
#   leaves this run's root in place afterwards for inspection; by default everything is built anew
#   and removed at the end.
# Exit status: 0 only when the command passed inside the root. Log: artifacts/fresh-machine/run.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(git -C "$here" rev-parse --show-toplevel)
say() { echo "fresh-machine: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }
started=$SECONDS

# The basics every new machine of this kind has (env/machines/node.md "On a new machine"); all
# else must come from the README's command.
basics=git,ca-certificates,python3,make,g++
cache=${FRESH_CACHE:-/var/tmp/pikvm-agent-fresh-cache}
guest_dir=/root/pikvm-agent

# 1. The command under test: the README's, taken from its first code block. The Tests section and
#    .ci/run must say the same, or this check would prove something nobody runs.
command_in_first_block=$(awk '/^```/ { if (open) exit; open = 1; next }
  open && /npm test/ { sub(/[ \t]+#.*$/, ""); print }' "$project/README.md")
command_in_tests_section=$(awk '/^## Tests$/ { section = 1; next }
  section && /^```/ { if (open) exit; open = 1; next } section && open { print }' "$project/README.md")
command_in_ci_run=$(grep -v '^[[:space:]]*$' "$project/.ci/run" | tail -n1)
[ -n "$command_in_first_block" ] || die "no test command (a line with 'npm test') in README.md's first code block"
[ "$command_in_first_block" = "$command_in_tests_section" ] ||
  die "README.md's first code block says '$command_in_first_block', its Tests section '$command_in_tests_section'"
[ "$command_in_first_block" = "$command_in_ci_run" ] ||
  die "README.md says '$command_in_first_block', .ci/run runs '$command_in_ci_run'"
test_command=$command_in_first_block
say "command under test: $test_command"

# 2. Prerequisites on this machine.
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap, mount and chroot need it): sudo bash test/fresh-machine.sh"
if ! command -v mmdebstrap >/dev/null; then
  say "installing mmdebstrap: apt-get install -y --no-install-recommends mmdebstrap"
  { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends mmdebstrap
  } >&2 || die "could not install mmdebstrap; install it with: apt-get install --no-install-recommends mmdebstrap"
fi
node_bin=$(command -v node) || die "no node on this machine: the root gets this machine's Node.js"
npm_cli=$(readlink -f "$(command -v npm)") || die "no npm on this machine"
npm_dir=${npm_cli%/bin/npm-cli.js}               # …/lib/node_modules/npm
[ -f "$npm_dir/package.json" ] || die "cannot find npm's package next to $npm_cli"
node_prefix=$(cd "$(dirname "$node_bin")/.." && pwd)

# The machine's apt sources (enabled files only) and its local apt settings (files in
# apt.conf.d that no package owns, e.g. Check-Valid-Until off for a snapshot mirror): the root
# reaches the mirror exactly as this machine does, also when install-deps runs apt-get there.
sources=()
[ -s /etc/apt/sources.list ] && sources+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || die "no apt sources in /etc/apt/sources.list*"
aptopts=()
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && ! dpkg -S "$f" >/dev/null 2>&1 && aptopts+=("--aptopt=$f")
done

# 3. The root. Mounts are recorded as they are made and undone on every exit path; the tree is
#    removed only when nothing is mounted below it any more.
mkdir -p "$cache"
root=$(mktemp -d /var/tmp/pikvm-agent-fresh.XXXXXX)
chmod 0755 "$root"                               # it becomes /: every user must traverse it
mounted=()
log_dir="$project/artifacts/fresh-machine"
mkdir -p "$log_dir"
log="$log_dir/run.log"
cleanup() {
  local rc=$? pid m i
  set +e
  # An interrupted run leaves processes inside the root: end them (ours, found by their root).
  for pid in /proc/[0-9]*; do
    [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && kill -KILL "${pid#/proc/}" 2>/dev/null
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done
  # Anything else mounted below the root (by the command under test): lazily, deepest first.
  findmnt -rn -o TARGET | grep -F "$root/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  if findmnt -rn -o TARGET | grep -qF "$root/"; then
    say "left $root: still mounted below it"
  elif [ "${FRESH_KEEP:-}" = 1 ]; then
    say "kept the root (FRESH_KEEP=1): $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mmdebstrap_args=(--variant=apt --include="$basics" --mode=root "${aptopts[@]}" bookworm)
build_root() {  # $1 = empty target directory
  say "mmdebstrap ${mmdebstrap_args[*]} ${sources[*]}"
  mmdebstrap --quiet "${mmdebstrap_args[@]}" "$1" "${sources[@]}" >&2
}
phase=$SECONDS
if [ "${FRESH_KEEP:-}" = 1 ]; then
  key=$({ printf '%s\n' "${mmdebstrap_args[@]}"; cat "${sources[@]}" "${aptopts[@]#--aptopt=}"; } | sha256sum | cut -c1-16)
  if [ ! -f "$cache/base/.fresh-$key" ]; then
    rm -rf --one-file-system "$cache/base" "$cache/base.new"
    build_root "$cache/base.new" && touch "$cache/base.new/.fresh-$key" && mv "$cache/base.new" "$cache/base"
  fi
  say "copying the cached root $cache/base"
  cp -a "$cache/base/." "$root/"
  rm -f "$root"/.fresh-*
else
  build_root "$root"
fi
say "Debian root ready in $((SECONDS - phase))s: $root"

# 4. What a new machine has beyond Debian's packages.
# Node.js and npm as installed here, Node's headers (npm builds native addons against them), and
# npm's global and user settings.
install -D -m 0755 "$node_bin" "$root$node_bin"
mkdir -p "$root$(dirname "$npm_dir")"
cp -a "$npm_dir" "$root$npm_dir"
for tool in npm npx; do
  link=$(command -v "$tool") && cp -a "$link" "$root$link"
done
[ -d "$node_prefix/include/node" ] && { mkdir -p "$root$node_prefix/include"; cp -a "$node_prefix/include/node" "$root$node_prefix/include/"; }
for rc_file in "$(npm config get globalconfig)" /etc/npmrc "$HOME/.npmrc"; do
  [ -f "$rc_file" ] || continue
  case $rc_file in "$HOME"/*) target=/root/${rc_file#"$HOME"/} ;; *) target=$rc_file ;; esac
  mkdir -p "$root$(dirname "$target")"
  cp -p "$rc_file" "$root$target"
done
# The machine's extra CA certificates (its network reaches the registries through them).
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
cp /etc/hosts "$root/etc/hosts"

# 5. The project: a clone of the committed HEAD.
head=$(git -C "$project" rev-parse HEAD)
[ -z "$(git -C "$project" status --porcelain --untracked-files=no)" ] ||
  say "note: uncommitted changes in $project are not part of the run (it tests HEAD $head)"
git clone --quiet --no-local "$project" "$root$guest_dir"
[ "$(git -C "$root$guest_dir" rev-parse HEAD)" = "$head" ] || die "the clone is not at HEAD $head"
say "cloned $(git -C "$project" log --oneline -1 HEAD) into $guest_dir"

# 6. Mounts (the kernel tier runs QEMU, the e2e tier os-autoinst: both want a real /dev and /proc).
mount_in_root() {  # mount_in_root TARGET mount-arguments…
  local target=$root$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}
mount_in_root /proc -t proc proc
mount_in_root /sys -t sysfs sysfs
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts
mount_in_root /dev/shm -t tmpfs tmpfs
mount_in_root /run -t tmpfs -o mode=0755 tmpfs

# 7. The README's command, with the environment CI gives .ci/run.
environment=(HOME=/root LANG=C.UTF-8 TERM=dumb CI=true PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && environment+=("NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
say "running in the root: cd $guest_dir && $test_command   (log: ${log#"$project/"})"
phase=$SECONDS
# In the background and waited for: a signal to this script then runs the cleanup at once (bash
# defers traps while a foreground command runs); pipefail gives the command's status, not tee's.
chroot "$root" /usr/bin/env -i -C "$guest_dir" "${environment[@]}" /bin/bash -c "$test_command" \
  </dev/null 2>&1 | tee "$log" &
rc=0
wait $! || rc=$?
run_s=$((SECONDS - phase))
# The root's Node must still be this machine's: a package that pulled in Debian's nodejs would
# have replaced it, and the run would have proved nothing about the documented Node.
root_node=$(chroot "$root" /usr/bin/env -i "$node_bin" --version 2>&1) || true
[ "$root_node" = "$("$node_bin" --version)" ] || { say "the root's node is now $root_node"; rc=1; }
summary=$(grep -a '^tests: [0-9]* passed, [0-9]* failed' "$log" | tail -n1 || true)
say "summary inside the root: ${summary:-none (the command ended before the test summary)}"
if [ "$rc" -eq 0 ]; then verdict=passed; else verdict="failed (exit $rc)"; fi
say "command $verdict in ${run_s}s; whole check $((SECONDS - started))s"
[ "$rc" -eq 0 ] && [ -n "$summary" ]
