namespace Corrosion.Simulation;

/// <summary>
/// A seeded model of an unreliable datagram network between numbered nodes: per-message latency, loss,
/// partitions, crashed nodes, and slow nodes (extra processing delay on everything they receive).
/// Generic in the payload so SWIM and replication simulations share it.
/// </summary>
/// <typeparam name="TMessage">What travels on the wire.</typeparam>
public sealed class SimulatedNetwork<TMessage>
{
    private readonly DiscreteEventScheduler _scheduler;
    private readonly Random _random;
    private readonly List<Action<int, TMessage>?> _receivers = [];
    private readonly List<bool> _up = [];
    private readonly List<int> _group = [];
    private readonly List<LatencyDistribution?> _processing = [];
    private readonly List<long> _sentBy = [];

    /// <summary>Creates a network on <paramref name="scheduler"/>'s clock, drawing from <paramref name="random"/>.</summary>
    public SimulatedNetwork(DiscreteEventScheduler scheduler, Random random)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(random);
        _scheduler = scheduler;
        _random = random;
    }

    /// <summary>Delay of every link.</summary>
    public LatencyDistribution Latency { get; set; } = LatencyDistribution.Lan;

    /// <summary>Probability that a message is lost (0..1).</summary>
    public double LossRate { get; set; }

    /// <summary>Messages offered to the network.</summary>
    public long Sent { get; private set; }

    /// <summary>Messages handed to a receiver.</summary>
    public long Delivered { get; private set; }

    /// <summary>Messages lost to <see cref="LossRate"/>.</summary>
    public long Lost { get; private set; }

    /// <summary>Messages dropped by a partition or a crashed end.</summary>
    public long Blocked { get; private set; }

    /// <summary>Messages sent by <paramref name="node"/>.</summary>
    public long SentBy(int node) => node < _sentBy.Count ? _sentBy[node] : 0;

    /// <summary>Connects <paramref name="node"/>; <paramref name="receive"/> gets (sender, message).</summary>
    public void Attach(int node, Action<int, TMessage> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        Grow(node);
        _receivers[node] = receive;
        _up[node] = true;
    }

    /// <summary>Crashes (false) or revives (true) a node: a crashed node neither sends nor receives.</summary>
    public void SetUp(int node, bool up)
    {
        Grow(node);
        _up[node] = up;
    }

    /// <summary>Whether the node is up.</summary>
    public bool IsUp(int node) => node < _up.Count && _up[node];

    /// <summary>Splits the network: nodes in different sets cannot talk; unlisted nodes form one more set.</summary>
    public void Partition(params IEnumerable<int>[] sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        for (var i = 0; i < _group.Count; i++)
        {
            _group[i] = 0;
        }

        for (var s = 0; s < sides.Length; s++)
        {
            foreach (var node in sides[s])
            {
                Grow(node);
                _group[node] = s + 1;
            }
        }
    }

    /// <summary>Removes all partitions.</summary>
    public void Heal() => Partition();

    /// <summary>Whether a partition separates the two nodes.</summary>
    public bool IsPartitioned(int a, int b) => GroupOf(a) != GroupOf(b);

    /// <summary>Makes a node slow: everything it receives is delayed by a draw of <paramref name="delay"/> (null: normal).</summary>
    public void SetProcessingDelay(int node, LatencyDistribution? delay)
    {
        Grow(node);
        _processing[node] = delay;
    }

    /// <summary>Draws the extra processing delay of <paramref name="node"/> (0 unless it is slow).</summary>
    public long ProcessingDelay(int node) =>
        node < _processing.Count && _processing[node] is { } d ? d.Sample(_random) : 0;

    /// <summary>Sends a message; it arrives later, or never.</summary>
    public void Send(int from, int to, TMessage message)
    {
        Sent++;
        Grow(Math.Max(from, to));
        _sentBy[from]++;
        if (!IsUp(from) || IsPartitioned(from, to))
        {
            Blocked++;
            return;
        }

        if (LossRate > 0 && _random.NextDouble() < LossRate)
        {
            Lost++;
            return;
        }

        var delay = Latency.Sample(_random) + ProcessingDelay(to);
        _scheduler.After(delay, () =>
        {
            if (!IsUp(to) || _receivers[to] is not { } receive)
            {
                Blocked++;
                return;
            }

            Delivered++;
            receive(from, message);
        });
    }

    private int GroupOf(int node) => node < _group.Count ? _group[node] : 0;

    private void Grow(int node)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        while (_receivers.Count <= node)
        {
            _receivers.Add(null);
            _up.Add(false);
            _group.Add(0);
            _processing.Add(null);
            _sentBy.Add(0);
        }
    }
}
