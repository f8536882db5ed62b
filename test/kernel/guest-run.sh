#!/bin/sh
# Runs inside the guest, chrooted into the host root (the guest's own /dev, /sys, configfs).
# Usage: guest-run.sh <results dir>. Reads <results>/plan (PROJECT, MAIN, TESTS, TEST_TIMEOUT) and
# runs all compiled test files in one node process (guest-main.js): loading tap is the dominant
# cost under TCG emulation, so it is paid once. Writes results/guest.tap and results/guest.rc.
set -u
results=$1
. "$results/plan"
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp TMPDIR=/tmp NODE_ENV=test
export KTIER_PROJECT="$PROJECT" KTIER_GUEST=1
# tap's per-test timeout (default 30 s) is too short for emulated CPU; the process is bounded by timeout(1).
export TAP_TIMEOUT=150
cd "$PROJECT" || exit 95
echo "KTIER-TEST-BEGIN"
# shellcheck disable=SC2086 # TESTS is a list of paths without spaces (checked by run.sh)
timeout -k 5 "$TEST_TIMEOUT" node --enable-source-maps "$MAIN" $TESTS > "$results/guest.tap" 2>&1
rc=$?
echo "$rc" > "$results/guest.rc"
read -r up _ < /proc/uptime
echo "KTIER-TEST-END rc=$rc t=${up}s"
exit $rc
