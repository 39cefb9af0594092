namespace KubePS.Core.Nodes;

/// <summary>
/// Turns the stderr of an ssh client that exited with 255 before the script began into a KubeException with a stable
/// id. The texts are OpenSSH's own (they are not translated); the message quotes ssh's last lines.
/// </summary>
internal static class SshErrors
{
    static bool Has(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);

    public static KubeException Classify(string host, string? user, NodeSessionOptions options, string stderr)
    {
        var said = NodeScripts.Tail(LastMeaningful(stderr), 2);
        var saidText = said.Length == 0 ? "" : $" (ssh: {said})";
        var port = options.Port?.ToString() ?? "its SSH port";
        var who = user ?? "the login user";

        if (Has(stderr, "REMOTE HOST IDENTIFICATION HAS CHANGED") || Has(stderr, "has changed and you have requested strict checking")
            || Has(stderr, "host key for") && Has(stderr, "has changed"))
            return new KubeException("Node.HostKeyMismatch",
                $"{host}: the node's SSH host key is not the one recorded in known_hosts; the connection was refused (this is what a man-in-the-middle attack looks like){saidText}.",
                KubeErrorCategory.SecurityError, host,
                $"If {host} was reinstalled or its keys were regenerated, check the new key's fingerprint out of band, remove the old entry with 'ssh-keygen -R {host}' and add the new one; otherwise investigate before connecting.");

        if (Has(stderr, "host key is known for") || Has(stderr, "Host key verification failed"))
            return new KubeException("Node.HostKeyUnknown",
                $"{host}: the node's SSH host key is not in known_hosts, and host keys are checked strictly{saidText}.",
                KubeErrorCategory.SecurityError, host,
                $"Add {host}'s host key to known_hosts after checking its fingerprint (e.g. ssh-keyscan {host}), or open the session with -HostKeyPolicy AcceptNew to trust a key seen for the first time.");

        if (Has(stderr, "Permission denied") || Has(stderr, "Too many authentication failures") || Has(stderr, "no mutual signature algorithm")
            || Has(stderr, "Authentication failed"))
            return new KubeException("Node.AuthenticationFailed",
                $"{host}: SSH login as {who} was refused{saidText}.",
                KubeErrorCategory.AuthenticationError, host,
                $"Check -UserName and -KeyFilePath (or the keys in your ssh agent and ssh config), and that the public key is in ~/.ssh/authorized_keys of {who} on {host}.");

        if (Has(stderr, "Could not resolve hostname") || Has(stderr, "Name or service not known") || Has(stderr, "Temporary failure in name resolution")
            || Has(stderr, "nodename nor servname"))
            return new KubeException("Node.Unreachable",
                $"{host}: the host name does not resolve{saidText}.",
                KubeErrorCategory.ConnectionError, host,
                $"Check the spelling of {host}, your DNS or /etc/hosts, or give an IP address or an alias from your ssh config.");

        if (Has(stderr, "Connection refused") || Has(stderr, "Connection timed out") || Has(stderr, "Operation timed out")
            || Has(stderr, "No route to host") || Has(stderr, "Network is unreachable") || Has(stderr, "kex_exchange_identification")
            || Has(stderr, "banner exchange") || Has(stderr, "Connection closed by") || Has(stderr, "Connection reset by")
            || Has(stderr, "connect to host"))
            return new KubeException("Node.Unreachable",
                $"{host}: cannot connect{saidText}.",
                KubeErrorCategory.ConnectionError, host,
                $"Check that {host} is up, that sshd listens on {port}, and that no firewall or wrong address is in the way (ConnectTimeout was {options.ConnectTimeout.TotalSeconds:0} s).");

        if (Has(stderr, "closed by remote host") || Has(stderr, "Broken pipe") || Has(stderr, "not responding"))
            return new KubeException("Node.ConnectionLost",
                $"{host}: the SSH connection was lost before the script began{saidText}.",
                KubeErrorCategory.ConnectionError, host,
                $"Check that {host} is up and its sshd runs, then try again.");

        if (Has(stderr, "Bad configuration option") || Has(stderr, "Bad owner or permissions") || Has(stderr, "Can't open user config file")
            || Has(stderr, "command-line line") || Has(stderr, "Unsupported option") || Has(stderr, "terminating, ") && Has(stderr, "bad configuration"))
            return new KubeException("Node.SshConfigInvalid",
                $"{host}: ssh rejected its configuration{saidText}.",
                KubeErrorCategory.InvalidArgument, host,
                "Fix the ssh config file or the -SshOption values (see ssh_config(5)).");

        return new KubeException("Node.SshFailed",
            $"{host}: ssh failed before the script began{(said.Length == 0 ? " without saying why" : saidText)}.",
            KubeErrorCategory.ConnectionError, host,
            $"Run 'ssh -v {host} true' with the same settings to see what fails.");
    }

    /// <summary>ssh's last lines, without the decoration of the host-key warning banner.</summary>
    static string LastMeaningful(string stderr) =>
        string.Join("\n", stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('@')));
}
