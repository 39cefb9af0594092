using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KubePS.Core.Workflows;
using Xunit;

namespace KubePS.Tests.Init;

/// <summary>
/// The health wait script wait-control-plane runs on a node, run here by bash against loopback endpoints: one that
/// answers 200, one that answers 500 and one where nothing listens.
/// </summary>
public sealed class ControlPlaneHealthTests
{
    static (TcpListener Listener, Task Serving) Serve(string status)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync();
                    await using var stream = client.GetStream();
                    var buffer = new byte[1024];
                    int read = await stream.ReadAsync(buffer);   // the request line is enough; its content does not matter
                    if (read == 0) continue;
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.0 {status}\r\nContent-Length: 2\r\n\r\nok"));
                }
            }
            catch (ObjectDisposedException) { }
            catch (SocketException) { }
        });
        return (listener, serving);
    }

    [Fact]
    public void The_wait_script_reports_each_endpoint_and_names_the_unhealthy_ones_with_their_logs()
    {
        var (ok, _) = Serve("200 OK");
        var (failing, _) = Serve("500 Internal Server Error");
        int closed = Infrastructure.Tool.FreePort();
        try
        {
            var endpoints = new[]
            {
                new HealthEndpoint("kubelet", $"http://127.0.0.1:{((IPEndPoint)ok.LocalEndpoint).Port}/healthz", false),
                new HealthEndpoint("etcd", $"http://127.0.0.1:{((IPEndPoint)failing.LocalEndpoint).Port}/health", true),
                new HealthEndpoint("kube-scheduler", $"http://127.0.0.1:{closed}/healthz", true),
            };
            var watch = Stopwatch.StartNew();
            var r = Infrastructure.Tool.Run("bash", ["-s"], stdin: ControlPlaneHealth.WaitScript(endpoints, TimeSpan.FromSeconds(2)));
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));   // it waited for the others
            Assert.Equal(1, r.ExitCode);
            var states = ControlPlaneHealth.Parse(r.Output);
            Assert.Equal("healthy", states["kubelet"]);
            Assert.Equal("unhealthy", states["etcd"]);
            Assert.Equal("unhealthy", states["kube-scheduler"]);
            var message = ControlPlaneHealth.Describe(endpoints, states);
            Assert.DoesNotContain("kubelet is", message);
            Assert.Contains($"etcd is not healthy at {endpoints[1].Url}; its log: crictl ps -a --name etcd", message);
            Assert.Contains("kube-scheduler is not healthy", message);

            var healthy = Infrastructure.Tool.Run("bash", ["-s"], stdin: ControlPlaneHealth.WaitScript([endpoints[0]], TimeSpan.FromSeconds(30)));
            Assert.Equal(0, healthy.ExitCode);
            Assert.Equal("kubelet=healthy", healthy.Output.Trim());
        }
        finally
        {
            ok.Stop();
            failing.Stop();
        }
    }

    [Fact]
    public void The_kubelet_is_looked_for_where_its_configuration_says_it_listens()
    {
        Assert.Equal("http://127.0.0.1:10248/healthz", ControlPlaneHealth.KubeletOf(InitTestSupport.Config(InitTestSupport.Example)).Url);
        var custom = InitTestSupport.Config(InitTestSupport.Example.Replace("maxPods: 110", "maxPods: 110\nhealthzPort: 10300\nhealthzBindAddress: 0.0.0.0"));
        Assert.Equal("http://127.0.0.1:10300/healthz", ControlPlaneHealth.KubeletOf(custom).Url);
    }
}
