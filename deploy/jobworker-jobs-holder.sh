#!/bin/sh
# Main process of jobworker-jobs.service. The unit's own cgroup must hold no
# process once the agent enables controllers in it (no-internal-processes
# rule), so this moves itself into a leaf of its own, then only waits.
set -eu
cgroup=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir -p "$cgroup/holder"
echo $$ > "$cgroup/holder/cgroup.procs"
# Type=notify: the unit counts as started (and jobagent.service, ordered after
# it, starts) only now that the unit's own cgroup holds no process.
systemd-notify --ready
exec sleep infinity
