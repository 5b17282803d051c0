#!/usr/bin/env bash
# npm test: build, then run all three suites, each even if an earlier one
# failed (a host failure must not hide what the VM suites would say), and exit
# non-zero if any failed. A failed build stops here: the suites would test
# stale or missing output. .ci/run sums the "N passing"/"N failing" lines of
# all three runs, so their output goes through unchanged.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run build || exit

failed=()
for suite in test:host test:vm test:systemd; do
  npm run "$suite" || failed+=("$suite")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "npm test: failed: ${failed[*]}" >&2
  exit 1
fi
