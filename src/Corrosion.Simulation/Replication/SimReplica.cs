using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Simulation.Replication;

/// <summary>
/// One simulated node: the real broadcast and sync planners over a set of held (actor, version)
/// changes instead of a database.
/// </summary>
internal sealed class SimReplica(int index, ActorId id, int region, BroadcastPlanner broadcast, SyncPlanner sync)
{
    private static readonly IReadOnlyDictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>> NoPartials =
        new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>();

    private readonly Dictionary<ActorId, HashSet<long>> _held = [];

    public int Index { get; } = index;

    public ActorId Id { get; } = id;

    public int Region { get; } = region;

    public BroadcastPlanner Broadcast { get; } = broadcast;

    public SyncPlanner Sync { get; } = sync;

    /// <summary>Last version this node wrote itself.</summary>
    public long OwnVersion { get; set; }

    /// <summary>The sync round in progress (0 when none).</summary>
    public int Round { get; set; }

    /// <summary>Peers still to answer the current round's state ask.</summary>
    public int AwaitingStates { get; set; }

    /// <summary>States gathered in the current round.</summary>
    public List<SyncState> States { get; } = [];

    public bool Holds(ActorId actor, long version) => _held.TryGetValue(actor, out var set) && set.Contains(version);

    /// <summary>Adds a change; false when it was already held.</summary>
    public bool Add(ActorId actor, long version)
    {
        if (!_held.TryGetValue(actor, out var set))
        {
            set = [];
            _held[actor] = set;
        }

        return set.Add(version);
    }

    /// <summary>Heads and gaps per origin, as the store would report them (no partial changesets here).</summary>
    public SyncState State()
    {
        var heads = new Dictionary<ActorId, long>();
        var needs = new Dictionary<ActorId, IReadOnlyList<VersionRange>>();
        foreach (var (actor, versions) in _held)
        {
            var head = versions.Max();
            heads[actor] = head;
            List<VersionRange>? gaps = null;
            long? gapStart = null;
            for (var v = 1L; v <= head + 1; v++)
            {
                var have = v > head || versions.Contains(v);
                if (!have && gapStart is null)
                {
                    gapStart = v;
                }
                else if (have && gapStart is { } start)
                {
                    (gaps ??= []).Add(new VersionRange(start, v - 1));
                    gapStart = null;
                }
            }

            if (gaps is not null)
            {
                needs[actor] = gaps;
            }
        }

        return new SyncState(Id, heads, needs, NoPartials);
    }

    /// <summary>The held changes among <paramref name="needs"/>.</summary>
    public IReadOnlyList<ActorVersions> Answer(IReadOnlyList<ActorNeeds> needs)
    {
        var answer = new List<ActorVersions>();
        foreach (var need in needs)
        {
            if (!_held.TryGetValue(need.Actor, out var set))
            {
                continue;
            }

            foreach (var range in need.Versions)
            {
                for (var v = range.Start; v <= range.End; v++)
                {
                    if (set.Contains(v))
                    {
                        answer.Add(new ActorVersions(need.Actor, new VersionRange(v, v)));
                    }
                }
            }
        }

        return answer;
    }
}
