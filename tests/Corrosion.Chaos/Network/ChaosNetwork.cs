using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Corrosion.Chaos.Network;

/// <summary>
/// The test network: one namespace holding a bridge, and one namespace per node joined to it by a
/// veth pair (<c>eth0</c> in the node's namespace). Addresses come from one private /24 that exists
/// only inside these namespaces: nothing is routed out of them, and the machine's own namespace
/// gets no address or route. Namespace names carry the owning process id, so a later run can tell
/// a crashed run's leftovers (owner gone) from a live one and remove them.
/// </summary>
public sealed partial class ChaosNetwork : IAsyncDisposable
{
    /// <summary>Every namespace this harness creates starts with this.</summary>
    public const string Prefix = "corrosion-chaos-";

    /// <summary>The /24 used inside the namespaces (first three octets); node i gets .(11 + i).</summary>
    public const string Subnet = "10.213.77";

    private readonly int _owner;
    private readonly List<string> _created = [];
    private readonly LinkFaults[] _faults;
    private readonly Action<string> _log;

    private ChaosNetwork(int owner, int nodes, Action<string> log)
    {
        _owner = owner;
        Nodes = nodes;
        _faults = Enumerable.Repeat(LinkFaults.None, nodes).ToArray();
        _log = log;
    }

    public int Nodes { get; }

    public string BridgeNamespace => $"{Prefix}{_owner}-br";

    public string NodeNamespace(int node) => $"{Prefix}{_owner}-n{node}";

    public static IPAddress NodeAddress(int node) => IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"{Subnet}.{11 + node}"));

    /// <summary>The faults currently applied to a node's link.</summary>
    public LinkFaults FaultsOf(int node) => _faults[node];

    /// <summary>Builds the bridge and the node namespaces; on any failure, removes what it made.</summary>
    public static async Task<ChaosNetwork> CreateAsync(int nodes, Action<string> log, CancellationToken cancellationToken)
    {
        var network = new ChaosNetwork(Environment.ProcessId, nodes, log);
        try
        {
            await network.BuildAsync(cancellationToken);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        var bridge = BridgeNamespace;
        await AddNamespaceAsync(bridge, cancellationToken);
        await IpAsync(cancellationToken, "-n", bridge, "link", "add", "br0", "type", "bridge");
        await IpAsync(cancellationToken, "-n", bridge, "link", "set", "br0", "up");
        for (var i = 0; i < Nodes; i++)
        {
            var ns = NodeNamespace(i);
            var port = string.Create(CultureInfo.InvariantCulture, $"n{i}");
            await AddNamespaceAsync(ns, cancellationToken);
            // Both ends are created directly inside their namespaces: nothing appears in the host's.
            await IpAsync(cancellationToken, "link", "add", NodeFirewall.Link, "netns", ns, "type", "veth", "peer", "name", port, "netns", bridge);
            await IpAsync(cancellationToken, "-n", bridge, "link", "set", port, "master", "br0");
            await IpAsync(cancellationToken, "-n", bridge, "link", "set", port, "up");
            await IpAsync(cancellationToken, "-n", ns, "addr", "add", $"{NodeAddress(i)}/24", "dev", NodeFirewall.Link);
            await IpAsync(cancellationToken, "-n", ns, "link", "set", NodeFirewall.Link, "up");
            await ApplyAsync(i, LinkFaults.None, cancellationToken);
        }

        _log($"network: bridge namespace {bridge}, nodes {NodeNamespace(0)}..{Nodes - 1} on {Subnet}.0/24");
    }

    private async Task AddNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        await IpAsync(cancellationToken, "netns", "add", name);
        _created.Add(name);
        await IpAsync(cancellationToken, "-n", name, "link", "set", "lo", "up");
    }

    /// <summary>Replaces a node's nftables rules with <paramref name="faults"/> (atomically).</summary>
    public async Task ApplyAsync(int node, LinkFaults faults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(faults);
        await Shell.RunCheckedAsync("ip", ["netns", "exec", NodeNamespace(node), "nft", "-f", "-"], NodeFirewall.Render(faults), cancellationToken);
        _faults[node] = faults;
    }

    /// <summary>The nftables rule set now loaded in a node's namespace (for the run's log).</summary>
    public Task<string> ListRulesAsync(int node, CancellationToken cancellationToken) =>
        Shell.RunCheckedAsync("ip", ["netns", "exec", NodeNamespace(node), "nft", "list", "ruleset"], null, cancellationToken);

    private static Task<string> IpAsync(CancellationToken cancellationToken, params string[] args) => Shell.RunCheckedAsync("ip", args, null, cancellationToken);

    /// <summary>Kills every process left in the namespaces (by the ids the kernel lists for them), then deletes them.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var name in Enumerable.Reverse(_created))
        {
            await RemoveNamespaceAsync(name, _log);
        }

        _created.Clear();
    }

    /// <summary>
    /// Removes namespaces of earlier runs whose owning process is gone (a crash, a killed test host),
    /// with the processes still inside them. Namespaces of a live run are left alone.
    /// </summary>
    public static async Task RemoveStaleAsync(Action<string> log, CancellationToken cancellationToken)
    {
        var list = await Shell.RunAsync("ip", ["netns", "list"], null, null, cancellationToken);
        var stale = new List<string>();
        foreach (var line in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.Split(' ')[0];
            var match = OwnedName().Match(name);
            if (match.Success && !IsAlive(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                stale.Add(name);
            }
        }

        // Node namespaces before the bridge, as they were made the other way round.
        foreach (var name in stale.OrderBy(n => n.EndsWith("-br", StringComparison.Ordinal) ? 1 : 0))
        {
            log($"network: removing stale namespace {name} of a run that is gone");
            await RemoveNamespaceAsync(name, log);
        }
    }

    private static async Task RemoveNamespaceAsync(string name, Action<string> log)
    {
        try
        {
            var pids = await Shell.RunAsync("ip", ["netns", "pids", name]);
            foreach (var text in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(text, CultureInfo.InvariantCulture, out var pid))
                {
                    log($"network: killing process {pid} left in {name}");
                    ProcessSignals.Send(pid, ProcessSignals.SigKill);
                }
            }

            var deleted = await Shell.RunAsync("ip", ["netns", "delete", name]);
            if (deleted.ExitCode != 0)
            {
                log($"network: could not delete namespace {name}: {deleted.Stderr.Trim()}");
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            log($"network: removing {name} failed: {e.Message}");
        }
    }

    private static bool IsAlive(int pid) => Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));

    [GeneratedRegex(@"^corrosion-chaos-(\d+)-(br|probe|n\d+)$")]
    private static partial Regex OwnedName();
}
