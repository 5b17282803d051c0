#!/bin/sh
# Self-test of the VM tooling: boots the VM and checks, inside it, everything the jobworker's
# cgroup v2 tests rely on. Prints one line per check; exits non-zero on the first failure.
#
#   test/vm/selftest.sh            (on the host; takes ~30 s)
#
# The same file is the guest side: run.sh runs it again with --guest, as root in the VM.
set -eu

if [ "${1:-}" != --guest ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  # The exit-code path first: a command's status must come back unchanged.
  set +e
  "$here/run.sh" -- sh -c 'exit 7'
  rc=$?
  set -e
  [ "$rc" = 7 ] || { echo "FAIL: run.sh -- sh -c 'exit 7' returned $rc" >&2; exit 1; }
  echo "ok   exit code 7 comes back from the guest"
  exec "$here/run.sh" -- sh test/vm/selftest.sh --guest
fi

cg=/sys/fs/cgroup
disk=${JOBWORKER_VM_DISK:?not in the VM (JOBWORKER_VM_DISK unset)}
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }

grep -q '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts || fail "cgroup2 is not mounted on $cg"
! grep -q ' cgroup ' /proc/mounts || fail "a cgroup v1 hierarchy is mounted"
for c in cpu memory io pids; do
  grep -qw "$c" "$cg/cgroup.controllers" || fail "controller $c missing from $cg/cgroup.controllers"
done
ok "cgroup2 at $cg, controllers: $(cat "$cg/cgroup.controllers")"
[ "$(cat /proc/self/cgroup)" = "0::/" ] || echo "note: running in $(cat /proc/self/cgroup)"

# The root cgroup is exempt from the no-internal-processes rule: controllers can be enabled for
# its children while we (and kernel threads) still live in it.
echo "+cpu +memory +io +pids" > "$cg/cgroup.subtree_control"
for c in cpu memory io pids; do
  grep -qw "$c" "$cg/cgroup.subtree_control" || fail "could not enable $c in the root's subtree_control"
done
t="$cg/vm-selftest.$$"
mkdir "$t"
trap 'rmdir "$t" 2>/dev/null || true' EXIT
ok "child cgroup $t has: $(cat "$t/cgroup.controllers")"
for f in cgroup.kill memory.peak memory.oom.group pids.peak memory.events io.max cpu.max; do
  [ -e "$t/$f" ] || fail "$t/$f missing"
done
ok "cgroup.kill memory.peak memory.oom.group pids.peak memory.events io.max cpu.max present"

# memory.max: a process that allocates past it is OOM-killed, and memory.events counts it.
echo 32M > "$t/memory.max"
[ "$(cat "$t/memory.max")" = 33554432 ] || fail "memory.max reads $(cat "$t/memory.max")"
set +e
sh -c 'echo 0 > "$1/cgroup.procs"; exec node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"' sh "$t" 2>/dev/null
rc=$?
set -e
[ "$rc" = 137 ] || fail "the allocating node exited $rc, not 137 (SIGKILL by the OOM killer)"
grep -q '^oom_kill [1-9]' "$t/memory.events" || fail "memory.events: $(tr '\n' ' ' < "$t/memory.events")"
ok "memory.max 32M: node OOM-killed (exit 137); memory.events: $(tr '\n' ' ' < "$t/memory.events")"

# pids.max
echo 3 > "$t/pids.max"
set +e
out=$(sh -c 'echo 0 > "$1/cgroup.procs"; for i in 1 2 3 4 5; do sleep 2 & done; wait' sh "$t" 2>&1)
set -e
echo "$out" | grep -qi 'fork\|resource' || fail "pids.max 3 did not stop forks: $out"
echo max > "$t/pids.max"
ok "pids.max 3 refuses the 3rd fork (pids.events: $(tr '\n' ' ' < "$t/pids.events"))"

# The disk: a real block device, resolvable from a path like the agent does (stat -> MAJ:MIN ->
# /sys/dev/block), O_DIRECT capable, and throttled by io.max.
devno=$(stat -c '%d' "$disk")
majmin="$((devno >> 8 & 0xfff)):$((devno & 0xff | (devno >> 12 & 0xfff00)))"
[ -e "/sys/dev/block/$majmin" ] || fail "$disk is on $majmin, not in /sys/dev/block"
grep -q " $disk .* /dev/vda " /proc/self/mountinfo || fail "$disk is not /dev/vda in mountinfo"
ok "$disk is /dev/vda, $majmin -> $(readlink "/sys/dev/block/$majmin")"
dd if=/dev/zero of="$disk/unthrottled" bs=1M count=20 oflag=direct 2>/dev/null || fail "O_DIRECT dd on $disk"
ok "O_DIRECT dd of 20 MiB on $disk"
echo "$majmin wbps=4194304" > "$t/io.max"
start=$(date +%s%N)
sh -c 'echo 0 > "$1/cgroup.procs"; exec dd if=/dev/zero of="$2/throttled" bs=1M count=20 oflag=direct 2>/dev/null' sh "$t" "$disk" \
  || fail "throttled dd"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 3000 ] || fail "20 MiB at wbps=4 MiB/s took only ${ms} ms: io.max not applied"
ok "io.max $majmin wbps=4194304: 20 MiB O_DIRECT took ${ms} ms (~5000 expected); io.stat: $(cat "$t/io.stat")"
rm -f "$disk/unthrottled" "$disk/throttled"

# cpu.max: 20% of one CPU for a busy loop of ~1 s of CPU time -> ~5 s.
echo "20000 100000" > "$t/cpu.max"
sh -c 'echo 0 > "$1/cgroup.procs"; exec timeout 3 sh -c "while :; do :; done"' sh "$t" || true
usage=$(awk '/^usage_usec/ {print $2}' "$t/cpu.stat")
thr=$(awk '/^nr_throttled/ {print $2}' "$t/cpu.stat")
[ "$thr" -gt 0 ] || fail "cpu.max 20%: never throttled (cpu.stat: $(tr '\n' ' ' < "$t/cpu.stat"))"
ok "cpu.max 20%: a busy loop was throttled $thr times (cgroup usage_usec ${usage})"

# cgroup.kill
sh -c 'echo 0 > "$1/cgroup.procs"; exec sleep 100' sh "$t" &
sleep 1
echo 1 > "$t/cgroup.kill"
wait $! 2>/dev/null || true
[ -z "$(cat "$t/cgroup.procs")" ] || fail "cgroup.kill left $(cat "$t/cgroup.procs")"
ok "cgroup.kill empties the cgroup"
