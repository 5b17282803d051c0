#!/bin/sh
# Inside the systemd VM (run.sh --systemd): run the test command, hand its exit code back through
# the vmctl share, power off at once. Copied to /run/vm/systemd-command.sh by init.sh.
sh /run/vm/cmd.sh
rc=$?
echo "VM_EXIT_CODE=$rc" > /dev/console
# Flush what the command wrote through the cache=loose checkout mount before the VM vanishes.
sync
echo "$rc" > /run/vm/exit_code
# -ff: reboot(2) straight away; stopping every unit in order would only cost time under TCG.
systemctl poweroff --force --force
