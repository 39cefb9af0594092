# Settings of one lab instance; sourced by lab-up.sh, node-init.sh and lab-down.sh.
# A lab instance is identified by LAB_ID (a number 128..254) and owns only names that start with its prefix:
#   netns kpl<ID>n<i>, host-side veth kpl<ID>v<i>, bridge kpl<ID>br, subnet 10.250.<ID>.0/24,
#   state directory $LAB_ROOT/<ID> (default /tmp/kpslab/<ID>).
# Node i: address 10.250.<ID>.(10+i), hostname n<i>, own sshd, private /etc /var/lib /var/log /opt /usr/local /home
# (overlays over the host's), fresh /root /tmp /run /dev/shm. Adapted from shared/lab (see README.md there).
: "${LAB_ID:?LAB_ID (128..254) is required}"
case "$LAB_ID" in 12[89]|1[3-9][0-9]|2[0-4][0-9]|25[0-4]) ;; *) echo "LAB_ID must be 128..254, got '$LAB_ID'" >&2; exit 2;; esac
LAB_ROOT=${LAB_ROOT:-/tmp/kpslab}
STATE=$LAB_ROOT/$LAB_ID
PREFIX=kpl$LAB_ID
BR=${PREFIX}br
NET=10.250.$LAB_ID
GW=$NET.1
PRIVATE_OVERLAYS="/etc /var/lib /var/log /opt /usr/local /home"
# plain per-node directories (containerd's overlayfs snapshotter cannot stack on an overlay upper)
PRIVATE_BINDS="/var/lib/containerd"
node_ip()   { echo "$NET.$((10 + $1))"; }
node_ns()   { echo "${PREFIX}n$1"; }
node_veth() { echo "${PREFIX}v$1"; }
node_dir()  { echo "$STATE/nodes/n$1"; }
