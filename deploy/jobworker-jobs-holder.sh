#!/bin/sh
# Main process of jobworker-jobs.service. The unit's own cgroup must hold no
# process once the agent enables controllers in it (no-internal-processes
# rule), so this moves itself into a leaf of its own, then only waits.
set -eu
cgroup=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir -p "$cgroup/holder"
echo $$ > "$cgroup/holder/cgroup.procs"
exec sleep infinity
