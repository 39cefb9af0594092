#!/bin/bash
# Usage: LAB_ID=<128..254> [LAB_ROOT=/tmp/kpslab] [LAB_SHIMS=1] bash lab-up.sh <count>
# Creates nodes 1..count of lab LAB_ID (see lab-env.sh) and waits until each node's sshd accepts connections.
# Writes $STATE/id_ed25519 (client key), known_hosts (the generated host keys: no trust on first use), ssh_config.
set -euo pipefail
COUNT=${1:?usage: lab-up.sh <count>}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lab-env.sh"
[ "$(id -u)" = 0 ] || { echo "lab-up: needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)" >&2; exit 1; }
mkdir -p "$STATE/nodes"

# --- bridge: 10.250.<ID>.1/24, no forwarding out, quickack routes (no 40 ms delayed-ACK stalls per login) ---
if ! ip link show "$BR" >/dev/null 2>&1; then
  ip link add "$BR" type bridge
  sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1" || true
  ip addr add "$GW/24" dev "$BR"
  ip link set "$BR" up
  ip route replace "$NET.0/24" dev "$BR" proto kernel scope link src "$GW" quickack 1
fi
KEY=$STATE/id_ed25519
[ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "kpslab-$LAB_ID" -f "$KEY"
: > "$STATE/known_hosts"

for i in $(seq 1 "$COUNT"); do
  ns=$(node_ns "$i"); ip=$(node_ip "$i"); veth=$(node_veth "$i"); D=$(node_dir "$i")
  mkdir -p "$D/tmp"; chmod 1777 "$D/tmp"
  for d in $PRIVATE_OVERLAYS; do
    [ -d "$d" ] || continue
    n=$(echo "$d" | tr / _)
    mkdir -p "$D/ovl/$n/upper" "$D/ovl/$n/work"
    # the merged root takes owner and mode from the upper dir: mirror the host dir
    chown --reference="$d" "$D/ovl/$n/upper"; chmod --reference="$d" "$D/ovl/$n/upper"
  done
  for d in $PRIVATE_BINDS; do
    mkdir -p "$D/binds/$(echo "$d" | tr / _)" "$D/ovl/$(dirname "$d" | tr / _)/upper/$(basename "$d")"
  done
  E=$D/ovl/_etc/upper; R=$D/root
  if [ "${LAB_SHIMS:-0}" = 1 ]; then
    # Stand-ins for the commands that would change the shared kernel or the host's /usr (shims/*, see README.md),
    # first in sshd's PATH, and a resolver on loopback so that name lookups fail at once (there is no DNS server).
    install -d -m 755 "$D/ovl/_usr_local/upper/sbin"
    install -m 755 "$HERE"/shims/* "$D/ovl/_usr_local/upper/sbin/"
    rm -f "$E/resolv.conf"; echo 'nameserver 127.0.0.1' > "$E/resolv.conf"
    touch "$STATE/shims"
  fi
  mkdir -p "$E/ssh" "$R/.ssh"; chmod 700 "$R" "$R/.ssh"
  cp -n /etc/skel/.bashrc /etc/skel/.profile "$R/" 2>/dev/null || true
  [ -f "$E/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "n$i" -f "$E/ssh/ssh_host_ed25519_key"
  cp "$KEY.pub" "$R/.ssh/authorized_keys"; chmod 600 "$R/.ssh/authorized_keys"
  echo "n$i" > "$E/hostname"
  { cat /etc/hosts; for j in $(seq 1 "$COUNT"); do echo "$(node_ip "$j") n$j"; done; } > "$E/hosts"
  cat > "$E/ssh/sshd_config" <<CFG
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 200:30:400
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel INFO
CFG
  if ! ip netns list | grep -qx "$ns\( .*\)\?"; then
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    sysctl -qw "net.ipv6.conf.$veth.disable_ipv6=1" || true
    ip link set "$veth" master "$BR" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace "$NET.0/24" dev eth0 proto kernel scope link src "$ip" quickack 1
  fi
  nsenter --net="/run/netns/$ns" unshare --mount --uts --pid --fork --kill-child --mount-proc -- \
     /bin/bash "$HERE/node-init.sh" "$i" >"$D/sshd.log" 2>&1 </dev/null &
  echo $! > "$D/node.pid"
  echo "$ip,n$i,$PREFIX-n$i $(cut -d' ' -f1,2 "$E/ssh/ssh_host_ed25519_key.pub")" >> "$STATE/known_hosts"
done

{
  for i in $(seq 1 "$COUNT"); do printf 'Host n%s %s-n%s\n  HostName %s\n' "$i" "$PREFIX" "$i" "$(node_ip "$i")"; done
  cat <<CFG
Host *
  User root
  IdentitiesOnly yes
  UserKnownHostsFile $STATE/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
  # OpenSSH 9's default key exchange (sntrup761x25519) costs ~140 ms of client CPU per login on the build machines
  KexAlgorithms curve25519-sha256
CFG
} > "$STATE/ssh_config"

# --- wait until every node's sshd listens (it binds only after loading its keys) ---
for i in $(seq 1 "$COUNT"); do
  ip=$(node_ip "$i"); deadline=$((SECONDS + 20))
  until (exec 3<>"/dev/tcp/$ip/22") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "lab-up: node n$i ($ip) did not start sshd; log:" >&2; cat "$(node_dir "$i")/sshd.log" >&2; exit 1; fi
    sleep 0.02
  done
done
echo "lab $LAB_ID up: $COUNT nodes on $NET.0/24"
