using System.Net;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Replication.Planners;

/// <summary>Small builders shared by the planner tests: readable ids, addresses, payloads and sync states.</summary>
internal static class PlannerBuilders
{
    /// <summary>A recognisable actor id: <c>n</c> in the last bytes.</summary>
    public static ActorId NodeId(int n)
    {
        var bytes = new byte[ActorId.Size];
        bytes[12] = (byte)(n >> 24);
        bytes[13] = (byte)(n >> 16);
        bytes[14] = (byte)(n >> 8);
        bytes[15] = (byte)n;
        return ActorId.FromBytes(bytes);
    }

    public static EndPoint AddressOf(int n) => new IPEndPoint(IPAddress.Loopback, 10_000 + n);

    /// <summary>The id of version <paramref name="version"/> (one whole chunk) of origin node 1000.</summary>
    public static PayloadId Payload(long version) =>
        new(NodeId(1000), VersionRange.Single(version), new SeqRange(0, 0));

    public static readonly ReadOnlyMemory<byte> Data = new byte[] { 1, 2, 3 };

    /// <summary>A planner for node 0 with members 1..<paramref name="members"/> up.</summary>
    public static BroadcastPlanner Broadcaster(int members, BroadcastOptions? options = null, int seed = 1)
    {
        var planner = new BroadcastPlanner(NodeId(0), options ?? new BroadcastOptions(), new Random(seed));
        for (var i = 1; i <= members; i++)
        {
            planner.MemberUp(NodeId(i), AddressOf(i));
        }

        return planner;
    }

    /// <summary>Ticks every retransmit interval until nothing is pending (or a cap of rounds), collecting the sends.</summary>
    public static List<BroadcastSend> DrainTicks(BroadcastPlanner planner, long fromMs = 0, int maxRounds = 1_000)
    {
        var sends = new List<BroadcastSend>();
        var step = (long)planner.Options.RetransmitInterval.TotalMilliseconds;
        for (var round = 1; round <= maxRounds && planner.PendingCount > 0; round++)
        {
            sends.AddRange(planner.Tick(fromMs + round * step));
        }

        return sends;
    }

    public static SyncStateBuilder StateOf(ActorId self) => new(self);

    /// <summary>Builds a <see cref="SyncState"/> line by line: heads with their gaps, partial versions with missing seqs.</summary>
    internal sealed class SyncStateBuilder(ActorId self)
    {
        private readonly Dictionary<ActorId, long> _heads = [];
        private readonly Dictionary<ActorId, IReadOnlyList<VersionRange>> _needs = [];
        private readonly Dictionary<ActorId, Dictionary<long, IReadOnlyList<SeqRange>>> _partials = [];

        /// <summary>Knows <paramref name="actor"/> up to <paramref name="head"/>, missing the given version ranges.</summary>
        public SyncStateBuilder Head(ActorId actor, long head, params (long Start, long End)[] gaps)
        {
            _heads[actor] = head;
            if (gaps.Length > 0)
            {
                _needs[actor] = gaps.Select(g => new VersionRange(g.Start, g.End)).ToList();
            }

            return this;
        }

        /// <summary>Has part of <paramref name="version"/> of <paramref name="actor"/>, missing the given seq ranges.</summary>
        public SyncStateBuilder Partial(ActorId actor, long version, params (long Start, long End)[] missing)
        {
            if (!_partials.TryGetValue(actor, out var versions))
            {
                versions = [];
                _partials[actor] = versions;
            }

            versions[version] = missing.Select(m => new SeqRange(m.Start, m.End)).ToList();
            return this;
        }

        public SyncState Build() => new(
            self,
            new Dictionary<ActorId, long>(_heads),
            new Dictionary<ActorId, IReadOnlyList<VersionRange>>(_needs),
            _partials.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>)kv.Value));
    }
}
