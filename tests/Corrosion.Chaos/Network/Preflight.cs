namespace Corrosion.Chaos.Network;

/// <summary>
/// Checks that this machine can host the chaos network: root, <c>ip</c> and <c>nft</c> present, and
/// a namespace with the rules the nemesis uses (random loss and duplication) can be made.
/// </summary>
public static class Preflight
{
    /// <summary>Null when the run can go ahead, else why it cannot (for a skip message).</summary>
    public static async Task<string?> WhyNotAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "creating network namespaces needs root (CI runs as root)";
        }

        foreach (var tool in new[] { "ip", "nft" })
        {
            var found = await Shell.RunAsync("sh", ["-c", $"command -v {tool}"], null, null, cancellationToken);
            if (found.ExitCode != 0)
            {
                return $"`{tool}` is not installed (Debian packages iproute2 and nftables; .ci/run installs them)";
            }
        }

        var probe = $"{ChaosNetwork.Prefix}{Environment.ProcessId}-probe";
        var added = await Shell.RunAsync("ip", ["netns", "add", probe], null, null, cancellationToken);
        if (added.ExitCode != 0)
        {
            return $"cannot create a network namespace: {added.Stderr.Trim()}";
        }

        try
        {
            // dup names its device, which must exist when the rules load.
            var link = await Shell.RunAsync("ip", ["-n", probe, "link", "add", NodeFirewall.Link, "type", "veth", "peer", "name", "peer0"], null, null, cancellationToken);
            if (link.ExitCode != 0)
            {
                return $"cannot create a link in a network namespace: {link.Stderr.Trim()}";
            }

            var faults = new LinkFaults(["10.213.77.99"], 10, 5);
            var loaded = await Shell.RunAsync("ip", ["netns", "exec", probe, "nft", "-f", "-"], NodeFirewall.Render(faults), null, cancellationToken);
            return loaded.ExitCode == 0 ? null : $"nftables cannot load the nemesis rules in a namespace: {loaded.Stderr.Trim()}";
        }
        finally
        {
            await Shell.RunAsync("ip", ["netns", "delete", probe], null, null, CancellationToken.None);
        }
    }
}
