#!/bin/bash
# PID 1 of node i's fresh pid+mount+uts namespaces, inside its netns. Started by lab-up.sh as
#   nsenter --net=/run/netns/<ns> unshare --mount --uts --pid --fork --kill-child --mount-proc -- bash node-init.sh <i>
# (not "ip netns exec": it remounts /sys and drops the cgroup mounts that runc needs).
# Mounts the node's private view of the filesystem, then execs sshd in the foreground: killing sshd (PID 1 of the
# node) makes the kernel kill every process of the node.
set -euo pipefail
i=$1
. "$(dirname "$0")/lab-env.sh"
D=$(node_dir "$i")
hostname "n$i"
mount --make-rprivate /
mkdir -p "$D/cgmnt"; mount --rbind /sys/fs/cgroup "$D/cgmnt"
mount -t sysfs "$PREFIX-sys-n$i" /sys
mount --move "$D/cgmnt" /sys/fs/cgroup
for d in $PRIVATE_OVERLAYS; do
  [ -d "$d" ] || continue
  n=$(echo "$d" | tr / _)
  mount -t overlay "$PREFIX-ovl-n$i" -o "lowerdir=$d,upperdir=$D/ovl/$n/upper,workdir=$D/ovl/$n/work" "$d"
done
for d in $PRIVATE_BINDS; do mount --bind "$D/binds/$(echo "$d" | tr / _)" "$d"; done
mount -t tmpfs -o mode=755,nosuid,nodev,size=64m "$PREFIX-run-n$i" /run
mkdir -p /run/sshd /run/lock && chmod 1777 /run/lock
# A lab with shims stands in for systemd (shims/systemctl): the marker systemd itself creates at boot.
if [ -f "$STATE/shims" ]; then mkdir -p /run/systemd/system; fi
mount -t tmpfs -o mode=1777,nosuid,nodev,size=64m "$PREFIX-shm-n$i" /dev/shm
mount --bind "$D/root" /root
mount --bind "$D/tmp" /tmp
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
