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
# Host folders the node must see where they are (LAB_KEEP, colon-separated: the repository with the lab's executables
# and stand-ins, the .NET runtime they run on). One under /root or /tmp would vanish behind the node's fresh ones, so it
# is held on the node's /run first and moved back on top afterwards (a clone in root's home works like one in /work).
kept=()
IFS=: read -r -a keep <<<"${LAB_KEEP:-}"
for k in "${keep[@]}"; do
  case $k in /root|/root/*|/tmp|/tmp/*) ;; *) continue ;; esac
  [ -d "$k" ] || continue
  h=/run/lab-keep/${#kept[@]}; mkdir -p "$h"; mount --bind "$k" "$h"; kept+=("$k")
done
mount --bind "$D/root" /root
mount --bind "$D/tmp" /tmp
for n in "${!kept[@]}"; do mkdir -p "${kept[$n]}"; mount --move "/run/lab-keep/$n" "${kept[$n]}"; done
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
