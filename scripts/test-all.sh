#!/usr/bin/env bash
# npm test: build, check the imports (npm run lint:deps: no cycles, no upward
# imports between agent's packages; .dependency-cruiser.cjs), then run all
# three suites, each even if an earlier step failed (a host failure must not
# hide what the VM suites would say), and exit non-zero if any failed. A
# failed build stops here: the suites would test stale or missing output.
# .ci/run sums the "N passing"/"N failing" lines of all three runs, so their
# output goes through unchanged (and counts a failed import check as a failure
# through this script's exit status).
set -uo pipefail
cd "$(dirname "$0")/.."

npm run build || exit

failed=()
for step in lint:deps test:host test:vm test:systemd; do
  npm run "$step" || failed+=("$step")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "npm test: failed: ${failed[*]}" >&2
  exit 1
fi
