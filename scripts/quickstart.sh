#!/usr/bin/env bash
# Quick start: jobagent on its built-in defaults (localhost:5000, development PKI,
# jobctl config in ~/.jobworker/config), then one job started and streamed with jobctl.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp -t jobagent-quickstart.XXXXXX)
node dist/agent/main.js >"$log" 2>&1 &
agent=$!
trap 'kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null; echo "agent stopped (its log: $log)"' EXIT

for _ in $(seq 300); do
  grep -q '"agent listening"' "$log" && break
  if ! kill -0 "$agent" 2>/dev/null; then echo "jobagent failed to start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done
grep -q '"agent listening"' "$log" || { echo "jobagent did not start listening:" >&2; cat "$log" >&2; exit 1; }
echo "jobagent is listening on localhost:5000 (pid $agent)"

jobctl() { echo "\$ jobctl $*" >&2; node dist/ctl/main.js "$@"; }
id=$(jobctl start -- sh -c 'for i in 1 2 3; do echo "hello from job $JOBWORKER_JOB_ID, line $i"; sleep 1; done; uname -sr')
echo "started job $id"
jobctl logs -f "$id"
jobctl status "$id"
jobctl list
jobctl info
