#!/usr/bin/env bash
# Runs every test tier (unused exports, unit + integration, kernel in QEMU, end to end with os-autoinst) in order,
# each even when an earlier one failed, and ends with one summary line of assertion counts.
# `npm test` builds first and then runs this.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_tiers=()

# Counts from a tap run: its last "# { total: N, pass: P, fail: F … }" line.
tap_counts() {
  local line
  line=$(grep -a '^# { total:' "$1" | tail -n1)
  tier_pass=$(sed -n 's/.*pass: \([0-9]*\).*/\1/p' <<<"$line")
  tier_fail=$(sed -n 's/.*fail: \([0-9]*\).*/\1/p' <<<"$line")
}

# Counts from the kernel tier's guest TAP: every ok / not ok line, subtests included.
guest_counts() {
  tier_pass=$(sed -n '/^=== guest TAP/,/^=== end of guest TAP/p' "$1" | grep -acE '^\s*ok [0-9]')
  tier_fail=$(sed -n '/^=== guest TAP/,/^=== end of guest TAP/p' "$1" | grep -acE '^\s*not ok [0-9]')
}

# Counts from knip's compact report: each "file: symbols" line is one failure; a clean run prints
# nothing and is one pass.
knip_counts() {
  tier_fail=$(grep -acE '^(agent|test|bench)/[^:]*: ' "$1")
  if ! grep -aq '[^[:space:]]' "$1"; then tier_pass=1; fi
}

tier() {
  local name=$1 counter=$2
  shift 2
  local log rc
  log=$(mktemp)
  echo "=== tier: $name"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  tier_pass=0
  tier_fail=0
  "$counter" "$log"
  tier_pass=${tier_pass:-0}
  tier_fail=${tier_fail:-0}
  # A tier that failed without a failed assertion (it could not start, crashed, timed out) counts as one failure.
  if [ "$rc" -ne 0 ] && [ "$tier_fail" -eq 0 ]; then tier_fail=1; fi
  if [ "$rc" -ne 0 ]; then failed_tiers+=("$name"); fi
  echo "=== tier $name: $tier_pass passed, $tier_fail failed (exit $rc)"
  passed=$((passed + tier_pass))
  failed=$((failed + tier_fail))
  rm -f "$log"
}

tier unused-exports knip_counts npx knip --reporter compact
tier unit+integration tap_counts npx tap
tier kernel guest_counts bash test/kernel/run.sh
tier e2e tap_counts npx tap --timeout=900 test/e2e/e2e.test.ts

if [ "${#failed_tiers[@]}" -gt 0 ]; then echo "failed tiers: ${failed_tiers[*]}"; fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#failed_tiers[@]}" -eq 0 ]
