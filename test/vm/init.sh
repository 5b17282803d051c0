#!/bin/sh
# /init of the throwaway test VM (PID 1, busybox ash, runs from the initramfs built by prepare.sh).
#
# It turns the guest into "the host, but with a pure cgroup v2 kernel":
#   - loads the virtio / 9p / virtio_blk / ext4 / overlay modules (busybox insmod, no udev/modprobe)
#   - mounts the host's / read-only over virtio-9p (tag hostroot) and, by default, puts a tmpfs
#     overlay on top so the guest root is writable but every write is thrown away at poweroff
#   - mounts the checkout read-write over 9p (tag checkout) at its own path, tmpfs on /tmp,
#     /var/tmp and /run, the disk (/dev/vda, ext4) at /run/vmdisk, cgroup2 at /sys/fs/cgroup
#   - chroots into that root and runs /run/vm/cmd.sh (written by run.sh into the vmctl share),
#     with stdin /dev/null and stdout+stderr piped into the share's "output" file (not a tty)
#   - writes the command's exit code to the vmctl share (exit_code), syncs and powers off.
# PID 1 must never exit (the kernel would panic), so every failure ends in fail() -> poweroff.

PATH=/bin
export PATH
NEWROOT=/newroot
CTL=/ctl
P9OPTS=trans=virtio,version=9p2000.L,msize=262144
ctl_mounted=0

say() { [ "${VM_VERBOSE:-0}" = 1 ] && echo "[vm-init $(cut -d' ' -f1 /proc/uptime)s] $*"; return 0; }

poweroff_now() {
  sync
  poweroff -f
  sleep 5   # poweroff -f does not return; if it somehow does, do not fall off the end of PID 1
  exit 1
}

fail() {
  echo "vm-init: error: $*" >&2
  [ "$ctl_mounted" = 1 ] && echo "$*" > "$CTL/init_error"
  poweroff_now
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"

# Options from run.sh arrive on the kernel command line as vm.verbose=1 (the rest in the share).
case " $(cat /proc/cmdline) " in *" vm.verbose=1 "*) VM_VERBOSE=1 ;; esac

# Modules in dependency order (prepare.sh resolved it from each .ko's depends=).
while read -r m; do
  [ -n "$m" ] || continue
  insmod "/lib/modules/$m.ko" || fail "insmod $m"
done < /etc/modules.order
say "modules loaded"

# The control share: config + cmd.sh from run.sh in, exit_code out. cache=none: the host reads
# exit_code right after poweroff, nothing may linger in a guest cache.
mount -t 9p -o "$P9OPTS,cache=none" vmctl "$CTL" || fail "mount the vmctl 9p share"
ctl_mounted=1
[ -r "$CTL/config" ] || fail "no $CTL/config"
# shellcheck disable=SC1091
. "$CTL/config"   # VM_CHECKOUT, VM_RO_ROOT, VM_CGROUP (written by run.sh)
[ -n "${VM_CHECKOUT:-}" ] || fail "VM_CHECKOUT not set"

# --- the root: the host's / over 9p ------------------------------------------------------------
# cache=loose: node is ~3x slower with cache=none. Safe enough: the host does not change these
# files while the VM runs (and the read-only root is never written by the guest).
if [ "${VM_RO_ROOT:-0}" = 1 ]; then
  mount -t 9p -o "$P9OPTS,cache=loose,ro" hostroot "$NEWROOT" || fail "mount the hostroot 9p share"
else
  # A writable root: overlayfs with the 9p host root as the (read-only) lower layer and a tmpfs
  # as the upper one, so e.g. /var/lib/jobworker or /etc can be written and vanish at poweroff.
  mkdir -p /lower /rw
  mount -t 9p -o "$P9OPTS,cache=loose,ro" hostroot /lower || fail "mount the hostroot 9p share"
  mount -t tmpfs -o mode=0755 tmpfs /rw || fail "mount tmpfs /rw"
  mkdir -p /rw/upper /rw/work
  if ! mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay "$NEWROOT"; then
    echo "vm-init: warning: overlayfs over 9p failed; the root stays read-only" >&2
    mount --bind /lower "$NEWROOT" || fail "bind the host root"
  fi
fi
say "root mounted"

mount -t proc proc "$NEWROOT/proc" || fail "mount proc in the root"
mount -t sysfs sysfs "$NEWROOT/sys" || fail "mount sysfs in the root"
# The whole point: a pure cgroup v2 hierarchy (no v1 controllers are mounted anywhere, so every
# controller is available to v2).
# (--systemd: systemd mounts it itself, with the options it wants, e.g. nsdelegate.)
if [ "${VM_SYSTEMD:-0}" != 1 ]; then
  mount -t cgroup2 cgroup2 "$NEWROOT/sys/fs/cgroup" || fail "mount cgroup2"
fi
mount -t devtmpfs devtmpfs "$NEWROOT/dev" || fail "mount /dev in the root"
mkdir -p "$NEWROOT/dev/pts" "$NEWROOT/dev/shm" 2>/dev/null
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$NEWROOT/dev/pts" 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs "$NEWROOT/dev/shm" || fail "mount /dev/shm"
# Fresh, empty scratch dirs as on a booted machine (and the only writable places with --ro-root).
mount -t tmpfs -o mode=1777 tmpfs "$NEWROOT/tmp" || fail "mount /tmp"
mount -t tmpfs -o mode=1777 tmpfs "$NEWROOT/var/tmp" || fail "mount /var/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$NEWROOT/run" || fail "mount /run"
if [ "${VM_RO_ROOT:-0}" = 1 ]; then
  # HOME=/root must be writable (npm, node caches).
  mount -t tmpfs -o mode=0700 tmpfs "$NEWROOT/root" || fail "mount /root"
fi

# The checkout, read-write, at the same path as on the host (so absolute paths keep working).
# mkdir: a checkout under /tmp (say, a CI clone) is hidden by the fresh tmpfs mounted above.
mkdir -p "$NEWROOT$VM_CHECKOUT" 2>/dev/null
[ -d "$NEWROOT$VM_CHECKOUT" ] || fail "no mount point for the checkout $VM_CHECKOUT in the guest root"
mount -t 9p -o "$P9OPTS,cache=loose" checkout "$NEWROOT$VM_CHECKOUT" || fail "mount the checkout 9p share"

# run.sh's control files, visible to the command as /run/vm (cmd.sh lives there).
mkdir -p "$NEWROOT/run/vm"
mount --bind "$CTL" "$NEWROOT/run/vm" || fail "bind the vmctl share"

# The block device for io.max tests: virtio-blk /dev/vda (ext4, made by prepare.sh).
i=0
while [ ! -b /dev/vda ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] || fail "no /dev/vda (virtio-blk disk)"
mkdir -p "$NEWROOT/run/vmdisk"
mount -t ext4 /dev/vda "$NEWROOT/run/vmdisk" || fail "mount /dev/vda on /run/vmdisk"
say "mounts done"

ip link set lo up || fail "ip link set lo up"
hostname jobworker-vm

# --systemd: boot Debian's systemd as PID 1 on this root instead of running the command from here.
if [ "${VM_SYSTEMD:-0}" = 1 ]; then
  # shellcheck source=systemd/boot.sh
  . "$NEWROOT$VM_CHECKOUT/test/vm/systemd/boot.sh"   # does not return
fi

# Optional: run the command in a child cgroup (like a systemd unit with Delegate=yes) instead of
# the root cgroup: every ancestor enables cpu/memory/io/pids for its children, so the leaf has
# them available (in cgroup.controllers) to delegate further, as systemd would arrange it.
cgdir=
if [ -n "${VM_CGROUP:-}" ]; then
  cgdir="$NEWROOT/sys/fs/cgroup"
  rest=${VM_CGROUP#/}
  while [ -n "$rest" ]; do
    part=${rest%%/*}
    [ "$part" = "$rest" ] && rest= || rest=${rest#*/}
    [ -n "$part" ] || continue
    echo "+cpu +memory +io +pids" > "$cgdir/cgroup.subtree_control" \
      || fail "enable controllers in $cgdir"
    cgdir="$cgdir/$part"
    mkdir -p "$cgdir" || fail "mkdir cgroup $cgdir"
  done
fi

# Keep kernel messages (OOM kills of test jobs, ...) off the slow emulated serial line, where a
# long OOM report would stall the guest; they stay in dmesg. Emergencies (panics) still get out.
# --verbose keeps them all.
[ "${VM_VERBOSE:-0}" = 1 ] || echo "1 4 1 7" > /proc/sys/kernel/printk

cut -d' ' -f1 /proc/uptime > "$CTL/boot_seconds"
say "running command"

# stdout+stderr go through a pipe (not a tty) so programs behave as under CI: no colours, no
# progress bars. The cat copies it into the vmctl share's "output" file, which run.sh streams to
# its stdout (tail -f). Not the serial console: that manages ~70 KB/s under TCG and its last
# bytes can be lost at poweroff; a 9p cache=none write is on the host when write() returns.
mkfifo /vm-output.fifo || fail "mkfifo"
cat /vm-output.fifo >> "$CTL/output" &
catpid=$!
(
  [ -n "$cgdir" ] && { echo 0 > "$cgdir/cgroup.procs" || exit 125; }
  exec env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root USER=root LOGNAME=root SHELL=/bin/sh TERM=dumb LANG=C.UTF-8 \
    chroot "$NEWROOT" /bin/sh /run/vm/cmd.sh
) < /dev/null > /vm-output.fifo 2>&1
rc=$?
echo "VM_EXIT_CODE=$rc"   # on the console (console.log) too, for post-mortems

# Daemons the command left behind (e.g. an agent under test) would keep the pipe and the shares
# busy: kill every process except us and the cat, then let the cat drain the pipe and exit.
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = 1 ] || [ "$p" = "$catpid" ] || kill -9 "$p" 2>/dev/null
done
wait "$catpid"

# Flush what the command wrote through the cache=loose checkout mount before the VM vanishes.
sync
umount "$NEWROOT$VM_CHECKOUT" 2>/dev/null || umount -l "$NEWROOT$VM_CHECKOUT" 2>/dev/null
umount "$NEWROOT/run/vmdisk" 2>/dev/null
echo "$rc" > "$CTL/exit_code"
say "powering off"
poweroff_now
