# Sourced by init.sh (busybox ash, PID 1) for run.sh --systemd, once the root (tmpfs overlay over
# the host's /), the checkout, /run/vm and the disk are mounted: install the VM's units in the
# overlay's /etc, then replace this init by Debian's systemd. Does not return.
#
# Boot time matters under TCG (every unit costs), so the VM boots jobworker-vm.target: sysinit
# (journald, tmpfiles, the API file systems) and the command's unit, with the units that do
# nothing useful here masked. A test's `systemctl start` may pull in more (basic.target).
[ "${VM_RO_ROOT:-0}" = 1 ] && fail "--systemd needs the writable root (not --ro-root)"
[ -z "${VM_CGROUP:-}" ] || fail "--systemd and --cgroup exclude each other (systemd places the command)"
[ -x "$NEWROOT/lib/systemd/systemd" ] || fail "no /lib/systemd/systemd on the host (apt-get install systemd)"

vm_units=$NEWROOT$VM_CHECKOUT/test/vm/systemd
unit_dir=$NEWROOT/etc/systemd/system
cp "$vm_units/jobworker-vm.target" "$vm_units/jobworker-vm-command.service" "$unit_dir/" \
  || fail "install the VM's units"
cp "$vm_units/command.sh" "$NEWROOT/run/vm/systemd-command.sh" || fail "install command.sh"

# Useless or harmful in a throwaway VM that shares the host's /etc: device management (init.sh
# loaded the few modules; the host's /lib/modules need not match the guest kernel), clocks, the
# host's fstab and timers, consoles, persistent state.
for u in \
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service \
  systemd-modules-load.service kmod-static-nodes.service systemd-binfmt.service \
  proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount \
  sys-kernel-config.mount sys-fs-fuse-connections.mount dev-hugepages.mount \
  systemd-timesyncd.service systemd-pstore.service systemd-random-seed.service \
  systemd-remount-fs.service systemd-fsck-root.service systemd-update-utmp.service \
  systemd-firstboot.service systemd-machine-id-commit.service ldconfig.service \
  systemd-journal-catalog-update.service systemd-boot-system-token.service \
  getty.target serial-getty@ttyS0.service console-getty.service \
  networking.service systemd-networkd.service ssh.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  fstrim.timer man-db.timer cryptsetup.target remote-fs.target swap.target; do
  ln -sf /dev/null "$unit_dir/$u"
done
# init.sh mounted everything; the host's fstab describes the host.
echo "# jobworker VM (test/vm/systemd/boot.sh): nothing to mount" > "$NEWROOT/etc/fstab"
echo jobworker-vm > "$NEWROOT/etc/hostname"

cut -d' ' -f1 /proc/uptime > "$CTL/boot_seconds"
say "switching to systemd"
if [ "${VM_VERBOSE:-0}" = 1 ]; then status=1; else status=0; fi
exec switch_root "$NEWROOT" /lib/systemd/systemd --unit=jobworker-vm.target --show-status="$status"
fail "switch_root to systemd failed"
