using System.Text;
using KubePS.Core.Cluster;
using KubePS.Core.Operations;
using KubePS.Core.Preparation;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// cleanup-node: kubeadm's cleanup plus what kubeadm leaves to the user, in one best-effort script. The static pod
/// manifests go first so that the kubelet itself stops the control plane (seen when the ports close); then the kubelet
/// is stopped, the CRI's pods removed (crictl, at the runtime endpoint of kubeadm-flags.env), everything mounted under
/// the kubelet folder unmounted, and the kubeadm files and folders removed: the manifests, the certificates folder,
/// the kubeconfig files, /etc/kubernetes/tmp, the kubelet folder (never crossing into another file system), the etcd
/// data (unless the member could not be removed), /var/run/kubernetes; with CleanupCni /etc/cni/net.d, /var/lib/cni and
/// the links cni0, flannel.1, vxlan.calico; with CleanupIptables the iptables/ip6tables rules; with CleanupIpvs the IPVS
/// tables and kube-ipvs0. Each step that fails is a warning and the script goes on.
/// </summary>
sealed class CleanupNodePhase : Phase<ResetContext>
{
    public override string Name => "cleanup-node";
    public override string Summary => "Stop the kubelet and remove the node's Kubernetes files, mounts, links and rules";

    static readonly string[] KubeConfigFiles = ["admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf", "controller-manager.conf", "scheduler.conf"];

    internal static string Script(ResetContext c)
    {
        var r = c.Request;
        var p = r.Paths;
        string Q(string s) => Bash.Quote(s);
        var sb = new StringBuilder();
        sb.Append("""
            set -u
            removed() { echo "KUBEPS-REMOVED $*"; }
            warn() { echo "KUBEPS-WARN $*"; }
            port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
            empty_dir() { # folder [rm options]: removes what is inside, reports each entry
              [ -d "$1" ] || return 0
              local d=$1; shift
              find "$d" -mindepth 1 -maxdepth 1 -print0 2>/dev/null | while IFS= read -r -d '' e; do
                if rm -rf "$@" -- "$e" 2>/dev/null && [ ! -e "$e" ]; then removed "$e"; else warn "could not remove $e"; fi
              done
            }
            remove_file() { if [ -e "$1" ] || [ -L "$1" ]; then if rm -f -- "$1"; then removed "$1"; else warn "could not remove $1"; fi; fi; }

            """);
        sb.Append("endpoint=$(sed -n 's/.*--container-runtime-endpoint=\\([^ \"]*\\).*/\\1/p' ").Append(Q(r.KubeletDir + "/kubeadm-flags.env")).Append(" 2>/dev/null | head -n1)\n");
        // 1. Static pods: manifests out, the kubelet stops them.
        sb.Append("empty_dir ").Append(Q(p.ManifestsDir)).Append('\n');
        var ports = c.Manifests.Select(m => StaticPodComponent.FromManifest(m.Key, m.Value)).ToList();
        if (ports.Count > 0)
        {
            sb.Append("if systemctl is-active --quiet kubelet 2>/dev/null; then\n  i=0\n  while [ $i -lt ").Append((int)r.StaticPodStopTimeout.TotalSeconds * 2).Append(" ]; do\n    busy=\n");
            foreach (var c2 in ports) sb.Append("    port_open ").Append(Q(c2.Host)).Append(' ').Append(c2.Port).Append(" && busy=\"$busy ").Append(c2.Name).Append("\"\n");
            sb.Append("    [ -z \"$busy\" ] && break\n    sleep 0.5; i=$((i+1))\n  done\n  [ -n \"$busy\" ] && warn \"the kubelet did not stop:$busy (still answering)\"\nfi\n");
        }
        // 2. The kubelet.
        sb.Append("""
            if command -v systemctl >/dev/null 2>&1; then
              if systemctl is-active --quiet kubelet 2>/dev/null || [ "$(systemctl is-active kubelet 2>/dev/null)" = activating ]; then
                if systemctl stop kubelet >/dev/null 2>&1; then removed "kubelet (service stopped)"; else warn "could not stop the kubelet service"; fi
              fi
            else
              warn "no systemctl: stop the kubelet yourself"
            fi

            """);
        // 3. The CRI's pods.
        sb.Append("""
            if command -v crictl >/dev/null 2>&1 && [ -n "$endpoint" ]; then
              n=$(crictl --runtime-endpoint "$endpoint" pods -q 2>/dev/null | wc -l)
              if [ "$n" -gt 0 ]; then
                if crictl --runtime-endpoint "$endpoint" rmp -af >/dev/null 2>&1; then removed "$n pod(s) of the container runtime ($endpoint)"; else warn "could not remove the container runtime's pods at $endpoint"; fi
              fi
            elif [ -n "$endpoint" ] && [ -S "${endpoint#unix://}" ]; then
              warn "crictl is not installed: the container runtime's pods at $endpoint were not removed"
            fi

            """);
        // 4. Mounts under the kubelet folder, deepest first.
        sb.Append("kd=").Append(Q(r.KubeletDir.TrimEnd('/'))).Append('\n');
        sb.Append("""
            awk -v p="$kd/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r | while IFS= read -r m; do
              m=$(printf '%b' "$m")
              if umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; then removed "mount $m"; else warn "could not unmount $m"; fi
            done

            """);
        // 5. kubeadm's files and folders.
        sb.Append("empty_dir ").Append(Q(p.CertificatesDir)).Append('\n');
        foreach (var f in KubeConfigFiles) sb.Append("remove_file ").Append(Q(p.Conf(f))).Append('\n');
        sb.Append("empty_dir ").Append(Q(p.TmpDir)).Append('\n');
        sb.Append("empty_dir \"$kd\" --one-file-system\n");
        if (c.LocalEtcd && c.EtcdMemberKept)
            sb.Append("warn ").Append(Q($"the etcd data in {c.EtcdDataDir} was kept: this node's etcd member could not be removed")).Append('\n');
        else sb.Append("empty_dir ").Append(Q(c.EtcdDataDir)).Append('\n');
        sb.Append("empty_dir /var/run/kubernetes\n");
        // 6. What kubeadm leaves to the user.
        if (r.CleanupCni)
            sb.Append("""
                empty_dir /etc/cni/net.d
                empty_dir /var/lib/cni
                for l in cni0 flannel.1 vxlan.calico; do
                  if ip link show "$l" >/dev/null 2>&1; then
                    if ip link delete "$l" 2>/dev/null; then removed "link $l"; else warn "could not delete link $l"; fi
                  fi
                done

                """);
        if (r.CleanupIptables)
            sb.Append("""
                for t in iptables ip6tables; do
                  if command -v $t >/dev/null 2>&1; then
                    ok=1
                    for table in filter nat mangle; do $t -t $table -F 2>/dev/null && $t -t $table -X 2>/dev/null || ok=; done
                    if [ -n "$ok" ]; then removed "$t rules (filter, nat, mangle)"; else warn "could not flush every $t table"; fi
                  else
                    [ $t = iptables ] && warn "iptables is not installed: no rules flushed"
                  fi
                done

                """);
        if (r.CleanupIpvs)
            sb.Append("""
                if command -v ipvsadm >/dev/null 2>&1; then
                  if ipvsadm --clear 2>/dev/null; then removed "IPVS tables"; else warn "ipvsadm --clear failed"; fi
                else
                  warn "ipvsadm is not installed: the IPVS tables were not cleared"
                fi
                if ip link show kube-ipvs0 >/dev/null 2>&1; then
                  if ip link delete kube-ipvs0 2>/dev/null; then removed "link kube-ipvs0"; else warn "could not delete link kube-ipvs0"; fi
                fi

                """);
        sb.Append("exit 0\n");
        return Bash.Lf(sb.ToString());
    }

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        var timeout = c.Request.StaticPodStopTimeout + TimeSpan.FromMinutes(5);
        var result = await c.Session.RunAsync(Script(c), timeout, ct).ConfigureAwait(false);
        foreach (var line in result.Output.Split('\n'))
        {
            if (line.StartsWith("KUBEPS-REMOVED ", StringComparison.Ordinal))
            {
                c.Removed.Add(line[15..]);
                sink.WriteVerbose($"{c.HostName}: removed {line[15..]}");
            }
            else if (line.StartsWith("KUBEPS-WARN ", StringComparison.Ordinal))
            {
                c.Warnings.Add(line[12..]);
                sink.WriteWarning($"{c.HostName}: {line[12..]}");
            }
        }
        if (!result.Succeeded)
            throw new KubeException("Reset.CleanupFailed", $"{c.HostName}: the cleanup script ended with exit code {result.ExitCode}: {result.Error.Trim()}",
                KubeErrorCategory.InvalidOperation, c.HostName, "Look at what is left and remove it by hand.");
    }
}
