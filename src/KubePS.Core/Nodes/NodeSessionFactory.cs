using KubePS.Core.Operations;

namespace KubePS.Core.Nodes;

/// <summary>Opens node sessions: validates the options, connects once, checks that scripts can run as root.</summary>
public static class NodeSessionFactory
{
    /// <summary>
    /// Validates <paramref name="options"/> (nothing touches the network before that), opens the transport and checks it
    /// with one round trip (SSH: <c>id -un; id -u</c>, plus <c>sudo -n</c> for a non-root user; local: sudo -n when not
    /// root; dry run: creates the node folder). The session is not registered: see <see cref="NodeSessionRegistry"/>.
    /// </summary>
    public static async Task<KubeNodeSession> OpenAsync(NodeSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        switch (options.Kind)
        {
            case NodeTransportKind.DryRun:
            {
                var t = new DryRunTransport(options);
                await t.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return new KubeNodeSession(options, t, null);
            }
            case NodeTransportKind.Local:
            {
                var t = new LocalTransport(options);
                await t.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return new KubeNodeSession(options, t, null);
            }
            default:
            {
                var t = new OpenSshTransport(options);
                try
                {
                    await t.ConnectAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await t.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                return new KubeNodeSession(options, t, t.RemoteUser);
            }
        }
    }

    /// <summary>
    /// Validates every option set first (a bad one fails before any node is contacted), then opens the sessions in
    /// parallel with <see cref="NodeFleet"/>: each open session is registered (when <paramref name="register"/>) and
    /// written to the sink; a node that fails is a non-terminating error.
    /// </summary>
    public static async Task<IReadOnlyList<KubeNodeSession>> OpenManyAsync(IReadOnlyList<NodeSessionOptions> options, IOperationSink sink,
        int throttleLimit = NodeFleet.DefaultThrottleLimit, bool register = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var o in options) o.Validate();
        var results = await NodeFleet.RunAsync(options, o => o.EffectiveHostName, "Opening node sessions", async (o, ct) =>
        {
            var session = await OpenAsync(o, ct).ConfigureAwait(false);
            if (register) NodeSessionRegistry.Add(session);
            sink.WriteVerbose($"{session.HostName}: session open ({session.Kind}{(session.UserName is null ? "" : ", user " + session.UserName)})");
            sink.WriteObject(session);
            return session;
        }, sink, throttleLimit, cancellationToken).ConfigureAwait(false);
        return results.Where(r => r.Succeeded).Select(r => r.Value!).ToList();
    }
}
