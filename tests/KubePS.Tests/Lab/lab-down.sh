#!/bin/bash
# Usage: LAB_ID=<128..254> [LAB_ROOT=/tmp/kpslab] bash lab-down.sh
# Idempotent teardown of one lab instance, also after a crash at any point. Touches only names with the lab's own
# prefix (kpl<ID>...) and its state directory. KEEP_STATE=1 keeps the state directory.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lab-env.sh"
set +e
killed=()
killpids() { local p; for p in "$@"; do [ "$p" != $$ ] && kill -9 "$p" 2>/dev/null && killed+=("$p"); done; }
# SIGKILL is asynchronous: wait (up to 5 s) until every killed process is gone or a zombie
waitdead() {
  local p i
  for p in "${killed[@]}"; do
    for i in $(seq 100); do
      [ -e "/proc/$p" ] || break
      [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && break
      sleep 0.05
    done
  done
}
mine_ns()    { ip netns list 2>/dev/null | awk '{print $1}' | grep -x "${PREFIX}n[0-9]*"; }
mine_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -x "${PREFIX}v[0-9]*"; }

# 1. every process of the lab's nodes: by netns, then the recorded node PIDs (unshare, whose --kill-child takes sshd)
for ns in $(mine_ns); do killpids $(ip netns pids "$ns" 2>/dev/null); done
for f in "$STATE"/nodes/*/node.pid; do [ -f "$f" ] && killpids $(cat "$f"); done
# 2. any other process whose command line points into the state directory, never this script or its ancestors
if [ -d "$STATE" ]; then
  anc=" $$ "; q=$$
  while [ "$q" -gt 1 ]; do q=$(awk '/^PPid:/{print $2}' /proc/$q/status 2>/dev/null || echo 1); anc="$anc$q "; done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}; case "$anc" in *" $pid "*) continue;; esac
    cmd=$(tr '\0' ' ' 2>/dev/null < "$p/cmdline") || continue
    case "$cmd" in *"$STATE/"*) killpids "$pid";; esac
  done
fi
waitdead
# 3. mounts under the state directory in the root mount namespace (node mounts die with their namespaces)
for m in $(findmnt -rn -o TARGET 2>/dev/null | grep "^$STATE/" | sort -r); do umount -l "$m"; done
# 4. network: host-side veths first (synchronous), then the netns (asynchronous in the kernel), then the bridge
for l in $(mine_links); do ip link del "$l" 2>/dev/null; done
for ns in $(mine_ns); do ip netns del "$ns" 2>/dev/null; done
ip link show "$BR" >/dev/null 2>&1 && ip link del "$BR"
# 5. state
[ "${KEEP_STATE:-0}" = 1 ] || rm -rf "$STATE"
left=$(( $(mine_ns | wc -l) + $(mine_links | wc -l) ))
if ip link show "$BR" >/dev/null 2>&1; then left=$((left + 1)); fi
[ "$left" = 0 ] || { echo "lab-down $LAB_ID: $left network objects left" >&2; exit 1; }
exit 0
