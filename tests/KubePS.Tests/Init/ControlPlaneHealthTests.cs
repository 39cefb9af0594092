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
    /// <summary>A loopback HTTP endpoint that answers every request with one status; Requests counts them.</summary>
    sealed class Endpoint
    {
        public required TcpListener Listener { get; init; }
        public int Requests;
    }

    static Endpoint Serve(string status)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new Endpoint { Listener = listener };
        _ = Task.Run(async () =>
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
                    Interlocked.Increment(ref endpoint.Requests);
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.0 {status}\r\nContent-Length: 2\r\n\r\nok"));
                }
            }
            catch (ObjectDisposedException) { }
            catch (SocketException) { }
        });
        return endpoint;
    }

    [Fact]
    public void The_wait_script_reports_each_endpoint_and_names_the_unhealthy_ones_with_their_logs()
    {
        var ok = Serve("200 OK");
        var failing = Serve("500 Internal Server Error");
        int closed = Infrastructure.Tool.FreePort();
        try
        {
            var endpoints = new[]
            {
                new HealthEndpoint("kubelet", $"http://127.0.0.1:{((IPEndPoint)ok.Listener.LocalEndpoint).Port}/healthz", false),
                new HealthEndpoint("etcd", $"http://127.0.0.1:{((IPEndPoint)failing.Listener.LocalEndpoint).Port}/health", true),
                new HealthEndpoint("kube-scheduler", $"http://127.0.0.1:{closed}/healthz", true),
            };
            var watch = Stopwatch.StartNew();
            var r = Infrastructure.Tool.Run("bash", ["-s"], stdin: ControlPlaneHealth.WaitScript(endpoints, TimeSpan.FromSeconds(2)));
            // It kept asking the unhealthy ones until the timeout, never giving up early ($SECONDS ticks in whole seconds).
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {watch.Elapsed}");
            Assert.True(failing.Requests >= 2, $"the failing endpoint was asked {failing.Requests} time(s)");
            Assert.Equal(1, ok.Requests);   // a healthy one is not asked again
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
            ok.Listener.Stop();
            failing.Listener.Stop();
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
