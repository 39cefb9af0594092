using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Join;

/// <summary>
/// A tiny HTTPS server on loopback for the security tests: it presents the certificate it is given (e.g. one from
/// another CA, a man in the middle) and answers each GET with what the handler returns for (path, request number).
/// One request per connection (Connection: close).
/// </summary>
public sealed class TlsTestServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly X509Certificate2 _cert;
    readonly Func<string, int, (int Status, string Body)> _handler;
    readonly CancellationTokenSource _stop = new();
    int _requests, _connections;

    public TlsTestServer(X509Certificate2 cert, Func<string, int, (int Status, string Body)> handler)
    {
        _cert = cert;
        _handler = handler;
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Endpoint => $"127.0.0.1:{Port}";
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>TCP connections accepted (a client that refuses the certificate connects but never sends a request).</summary>
    public int Connections => Volatile.Read(ref _connections);

    async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => Serve(client));
        }
    }

    async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var ssl = new SslStream(client.GetStream());
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _cert }, _stop.Token);
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n"))
                {
                    int n = await ssl.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                var path = head.ToString().Split(' ')[1];
                var (status, body) = _handler(path, Interlocked.Increment(ref _requests));
                var bytes = Encoding.UTF8.GetBytes(body);
                var header = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(header), _stop.Token);
                await ssl.WriteAsync(bytes, _stop.Token);
                await ssl.FlushAsync(_stop.Token);
            }
            catch (Exception)
            {
                // A client that refuses our certificate hangs up mid-handshake: that is the point of several tests.
            }
        }
    }

    /// <summary>
    /// A server certificate for 127.0.0.1 signed by the CA in <paramref name="caDir"/> (ca.crt, ca.key), made with
    /// openssl under <paramref name="workDir"/>.
    /// </summary>
    public static X509Certificate2 IssueServerCertificate(string caDir, string workDir, string name)
    {
        Directory.CreateDirectory(workDir);
        var r = LabTools.Bash($"""
            set -e
            openssl req -new -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr -subj /CN={name} 2>/dev/null
            printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > {name}.ext
            openssl x509 -req -in {name}.csr -CA '{caDir}/ca.crt' -CAkey '{caDir}/ca.key' -CAcreateserial -CAserial {name}.srl -out {name}.crt -days 2 -extfile {name}.ext 2>/dev/null
            """, workDir: workDir);
        if (r.ExitCode != 0) throw new InvalidOperationException("openssl server cert failed: " + r);
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(workDir, name + ".crt"), Path.Combine(workDir, name + ".key"));
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _cert.Dispose();
    }
}
