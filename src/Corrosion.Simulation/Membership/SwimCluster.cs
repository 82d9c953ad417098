using System.Globalization;
using System.Net;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;

namespace Corrosion.Simulation.Membership;

/// <summary>
/// Many <see cref="Swim"/> cores in one process on virtual time over a <see cref="SimulatedNetwork{TMessage}"/>.
/// Everything random comes from the seed, so the same seed and the same calls give the same history
/// (<see cref="Log"/> hash).
/// </summary>
public sealed class SwimCluster : IDisposable
{
    /// <summary>Wall-clock origin of the virtual clock, for identities' start times.</summary>
    public const long EpochMs = 1_700_000_000_000;

    private const int GossipPort = 7946;

    private readonly int _seed;
    private readonly ushort _clusterId;
    private readonly Random _random;
    private readonly List<SimNode> _nodes = [];
    private readonly Dictionary<NodeAddress, int> _byAddress = [];

    /// <summary>Creates <paramref name="size"/> nodes (not started; see <see cref="StartConverged"/> and <see cref="JoinAll"/>).</summary>
    public SwimCluster(int seed, int size, SwimOptions options, ushort clusterId = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        _seed = seed;
        _clusterId = clusterId;
        Options = options;
        _random = new Random(seed);
        Scheduler = new DiscreteEventScheduler();
        Network = new SimulatedNetwork<byte[]>(Scheduler, _random);
        for (var i = 0; i < size; i++)
        {
            AddNode();
        }
    }

    /// <summary>The virtual clock and event queue.</summary>
    public DiscreteEventScheduler Scheduler { get; }

    /// <summary>The network model (latency, loss, partitions, slow nodes).</summary>
    public SimulatedNetwork<byte[]> Network { get; }

    /// <summary>History of notifications and injected faults.</summary>
    public EventLog Log { get; } = new();

    /// <summary>
    /// Whether a datagram to a crashed node is refused by its host (ICMP port unreachable: the process died, the host
    /// lives), reported to the sender's core after a round trip; false (the default): a crash is silent, as when the
    /// whole host is gone.
    /// </summary>
    public bool CrashedNodesRefuse { get; set; }

    /// <summary>Called for every datagram a node sends: (sender, destination node, virtual time).</summary>
    public Action<int, int, long>? OnSend { get; set; }

    /// <summary>Options given to new nodes.</summary>
    public SwimOptions Options { get; set; }

    /// <summary>Called for every notification (benchmarks measure from here).</summary>
    public Action<SimNotification>? OnNotification { get; set; }

    /// <summary>Number of nodes (up or not).</summary>
    public int Size => _nodes.Count;

    /// <summary>Current virtual time.</summary>
    public long NowMs => Scheduler.NowMs;

    /// <summary>The gossip address of node <paramref name="node"/>.</summary>
    public NodeAddress AddressOf(int node) => _nodes[node].Address;

    /// <summary>The node at <paramref name="address"/>, or -1.</summary>
    public int NodeAt(NodeAddress address) => _byAddress.TryGetValue(address, out var n) ? n : -1;

    /// <summary>The core of node <paramref name="node"/> (its current life).</summary>
    public Swim Core(int node) => _nodes[node].Swim;

    /// <summary>Whether node <paramref name="node"/> is running.</summary>
    public bool IsUp(int node) => Network.IsUp(node);

    /// <summary>Adds a node (not started) and returns its index.</summary>
    public int AddNode()
    {
        var index = _nodes.Count;
        var address = new NodeAddress(new IPAddress([10, (byte)(index >> 16), (byte)(index >> 8), (byte)index]), GossipPort);
        var node = new SimNode(this, index, address, ActorId.FromRandom(_random));
        _nodes.Add(node);
        _byAddress[address] = index;
        node.NewLife(0);
        Network.Attach(index, node.Receive);
        return index;
    }

    /// <summary>Starts every node already knowing all the others (as if restored from persisted members).</summary>
    public void StartConverged()
    {
        var identities = _nodes.Select(n => n.Swim.Identity).ToList();
        foreach (var node in _nodes)
        {
            node.Swim.Restore(identities, NowMs, node);
        }
    }

    /// <summary>Starts every node by joining through the given bootstrap nodes (default: node 0).</summary>
    public void JoinAll(params int[] bootstrap)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        var seeds = (bootstrap.Length == 0 ? [0] : bootstrap).Select(AddressOf).ToList();
        foreach (var node in _nodes)
        {
            node.Swim.Join(seeds, NowMs, node);
        }
    }

    /// <summary>Starts one node by joining through <paramref name="bootstrap"/>.</summary>
    public void Join(int node, params int[] bootstrap)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        _nodes[node].Swim.Join(bootstrap.Select(AddressOf), NowMs, _nodes[node]);
    }

    /// <summary>Stops a node abruptly: no goodbye, in-flight messages to it are lost.</summary>
    public void Crash(int node)
    {
        Record($"crash {node}");
        Network.SetUp(node, false);
        _nodes[node].Life++;
    }

    /// <summary>Restarts a crashed node at the same address with a new start time; it rejoins through <paramref name="bootstrap"/>.</summary>
    public void Restart(int node, params int[] bootstrap)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        Record($"restart {node}");
        var n = _nodes[node];
        n.NewLife(NowMs);
        Network.SetUp(node, true);
        n.Swim.Join(bootstrap.Select(AddressOf), NowMs, n);
    }

    /// <summary>Makes node leave gracefully, then stops it.</summary>
    public void Leave(int node)
    {
        Record($"leave {node}");
        var n = _nodes[node];
        n.Swim.Leave(NowMs, n);
        Scheduler.After(1, () => Network.SetUp(node, false));
    }

    /// <summary>Splits the cluster (see <see cref="SimulatedNetwork{TMessage}.Partition"/>).</summary>
    public void Partition(params IEnumerable<int>[] sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        Record("partition " + string.Join(" | ", sides.Select(s => string.Join(',', s))));
        Network.Partition(sides);
    }

    /// <summary>Heals all partitions.</summary>
    public void Heal()
    {
        Record("heal");
        Network.Heal();
    }

    /// <summary>Makes a node slow: its packets and timers are handled late by a draw of <paramref name="delay"/>.</summary>
    public void SetSlow(int node, LatencyDistribution? delay)
    {
        Record($"slow {node} {delay}");
        Network.SetProcessingDelay(node, delay);
    }

    /// <summary>Runs for <paramref name="durationMs"/> of virtual time.</summary>
    public void RunFor(long durationMs) => Scheduler.RunFor(durationMs);

    /// <summary>Runs until <paramref name="condition"/> holds or <paramref name="timeoutMs"/> of virtual time passes.</summary>
    public bool RunUntil(Func<bool> condition, long timeoutMs) => Scheduler.RunUntil(condition, NowMs + timeoutMs);

    /// <summary>What <paramref name="observer"/> believes about <paramref name="subject"/> (null: unknown).</summary>
    public MemberState? StateAt(int observer, int subject)
    {
        var core = _nodes[observer].Swim;
        if (!core.TryGetMember(AddressOf(subject), out var info))
        {
            return null;
        }

        // A remembered earlier life of the subject says nothing about its current one.
        return info!.Identity.StartedAtMs == _nodes[subject].Swim.Identity.StartedAtMs ? info.State : MemberState.Down;
    }

    /// <summary>Whether every running node other than <paramref name="subject"/> (or the given observers) sees it in <paramref name="state"/>.</summary>
    public bool AllSee(int subject, MemberState state, IEnumerable<int>? observers = null) =>
        (observers ?? Enumerable.Range(0, Size)).Where(o => o != subject && IsUp(o)).All(o => StateAt(o, subject) == state);

    /// <summary>Whether every running node sees every other running node alive.</summary>
    public bool AllUpNodesSeeEachOtherAlive()
    {
        var up = Enumerable.Range(0, Size).Where(IsUp).ToList();
        return up.All(o => up.All(s => s == o || StateAt(o, s) == MemberState.Alive));
    }

    /// <inheritdoc />
    public void Dispose() => Log.Dispose();

    private void Record(string line) => Log.Record(string.Create(CultureInfo.InvariantCulture, $"{NowMs} {line}"));

    private sealed class SimNode(SwimCluster cluster, int index, NodeAddress address, ActorId id) : ISwimRuntime
    {
        public NodeAddress Address { get; } = address;

        public Swim Swim { get; private set; } = null!;

        public int Life { get; set; }

        public void NewLife(long nowMs)
        {
            Life++;
            var identity = new MemberIdentity(id, Address, 0, cluster._clusterId, EpochMs + nowMs);
            var random = new Random(unchecked((cluster._seed * 1_000_003) + (index * 7_919) + Life));
            Swim = new Swim(identity, cluster.Options, random);
        }

        public void Receive(int from, byte[] packet) => Swim.HandlePacket(packet, cluster.AddressOf(from), cluster.NowMs, this);

        public void Send(NodeAddress to, ReadOnlySpan<byte> packet)
        {
            if (cluster._byAddress.TryGetValue(to, out var target))
            {
                cluster.OnSend?.Invoke(index, target, cluster.NowMs);
                cluster.Network.Send(index, target, packet.ToArray());
                var network = cluster.Network;
                if (cluster.CrashedNodesRefuse && !network.IsUp(target) && network.IsUp(index) && !network.IsPartitioned(index, target))
                {
                    var life = Life;
                    cluster.Scheduler.After((2 * network.Latency.Sample(cluster._random)) + network.ProcessingDelay(index), () =>
                    {
                        if (life == Life && network.IsUp(index))
                        {
                            Swim.HandleRefused(to, cluster.NowMs, this);
                        }
                    });
                }
            }
        }

        public void SetTimer(SwimTimer timer, long delayMs)
        {
            var life = Life;
            var delay = delayMs + cluster.Network.ProcessingDelay(index);
            cluster.Scheduler.After(delay, () =>
            {
                if (life == Life && cluster.Network.IsUp(index))
                {
                    Swim.HandleTimer(timer, cluster.NowMs, this);
                }
            });
        }

        public void Notify(MemberNotification notification)
        {
            var subject = cluster.NodeAt(notification.Member.Address);
            var n = new SimNotification(cluster.NowMs, index, notification.Kind, subject, notification.Member);
            cluster.Record(string.Create(CultureInfo.InvariantCulture, $"{index} {notification.Kind} {subject} i{notification.Member.Incarnation} s{notification.Member.StartedAtMs}"));
            cluster.OnNotification?.Invoke(n);
        }
    }
}
