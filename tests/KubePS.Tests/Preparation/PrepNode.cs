using System.Text;
using KubePS.Tests.Preflight.Support;

namespace KubePS.Tests.Preparation;

/// <summary>
/// TEST-ONLY: a namespace node for applying preparation plans. /etc, /usr/local, /var/lib, /var/log and /opt are private
/// overlays; a veth pair gives it an address and a default route; commands that would change the shared kernel or the
/// host's /usr (swapoff, modprobe, sysctl --system, package managers, systemctl) are replaced by logging stubs in the
/// node's /usr/local/sbin (first in PATH). Each stub appends "name args" to the node's /var/log/kubeps-shims.log.
/// </summary>
public static class PrepNode
{
    public static readonly string[] Overlays = ["/etc", "/usr/local", "/var/lib", "/var/log", "/opt"];

    /// <summary>Stub scripts by command name (body after the log line). Tests add or replace entries.</summary>
    public static Dictionary<string, string> DefaultShims() => new()
    {
        // swapoff: empties the node's (bind-mounted, fake) /proc/swaps, keeping its header.
        ["swapoff"] = "h=$(head -n 1 /proc/swaps); printf '%s\\n' \"$h\" > /proc/swaps",
        ["modprobe"] = "",
        // sysctl --system: applies the net.* keys of /etc/sysctl.d (per network namespace, so only this node's).
        ["sysctl"] = """
            if [ "${1:-}" = --system ]; then
              for f in /etc/sysctl.d/*.conf; do
                [ -f "$f" ] || continue
                while read -r k _ v; do
                  case "$k" in net.*) printf '%s' "$v" > "/proc/sys/$(printf '%s' "$k" | tr . /)" ;; esac
                done < "$f"
              done
            fi
            """,
        // apt-get install: creates a stub command named after each package, so the tool is "installed".
        ["apt-get"] = """
            if [ "${1:-}" = install ]; then
              shift
              for a in "$@"; do
                case "$a" in -*|*=*) ;; *) [ -e "/usr/local/sbin/$a" ] || printf '#!/bin/sh\nexit 0\n' > "/usr/local/sbin/$a"; chmod 755 "/usr/local/sbin/$a" ;; esac
              done
            fi
            """,
        // systemctl: remembers enabled/active units under /var/lib/kubeps-fake-systemd (the node's private /var/lib).
        ["systemctl"] = """
            d=/var/lib/kubeps-fake-systemd; mkdir -p "$d/enabled" "$d/active"
            q=; [ "${1:-}" = -q ] && shift
            cmd=${1:-}; shift || true
            [ "${1:-}" = -q ] && shift
            u=${1:-none}
            case "$cmd" in
              is-enabled) [ -e "$d/enabled/$u" ] || exit 1 ;;
              is-active) [ -e "$d/active/$u" ] || exit 3 ;;
              enable) touch "$d/enabled/$u" ;;
              disable) rm -f "$d/enabled/$u" ;;
              start|restart) touch "$d/active/$u" ;;
              stop) rm -f "$d/active/$u" ;;
              cat) exit 1 ;;
            esac
            """,
        ["setenforce"] = "",
        ["timedatectl"] = "",
    };

    public static async Task<NamespaceNode> StartAsync(string name, string extraSetup = "", IReadOnlyDictionary<string, string>? shims = null)
    {
        var setup = new StringBuilder();
        setup.Append("ip link add kps0 type veth peer name kps1\nip addr add 10.77.0.5/24 dev kps0\nip link set kps0 up\nip link set kps1 up\n");
        setup.Append("ip route add default via 10.77.0.1 dev kps0\n");
        // No DNS server is reachable from the node: point it at loopback so lookups fail at once instead of timing out.
        setup.Append("rm -f /etc/resolv.conf; echo 'nameserver 127.0.0.1' > /etc/resolv.conf\n");
        setup.Append("mkdir -p /usr/local/sbin\n");
        foreach (var (cmd, body) in shims ?? DefaultShims())
        {
            string script = $"#!/bin/bash\necho \"{cmd} $*\" >> /var/log/kubeps-shims.log\n{body}\nexit 0\n";
            setup.Append($"cat > /usr/local/sbin/{cmd} <<'KUBEPS_SHIM_EOF'\n{script}KUBEPS_SHIM_EOF\nchmod 755 /usr/local/sbin/{cmd}\n");
        }
        setup.Append(extraSetup).Append('\n');
        return await NamespaceNode.StartAsync(name, new NamespaceNode.Options { Overlays = Overlays, Setup = setup.ToString() });
    }

    /// <summary>Runs a command in the node and returns its standard output.</summary>
    public static async Task<string> Sh(NamespaceNode node, string script)
    {
        var r = await node.Transport().RunAsync(script, TimeSpan.FromMinutes(1), default);
        if (r.ExitCode != 0) throw new InvalidOperationException($"'{script}' failed in {node.Name}: {r.Error}");
        return r.Output;
    }
}
