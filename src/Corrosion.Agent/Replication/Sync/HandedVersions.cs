using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// Versions of complete changesets that broadcast handed to the writer (merged, or queued to be), per
/// origin. A sync round counts them as present (<see cref="Apply"/>), so it does not ask peers again for
/// what waits in this node's merge queue: under sustained writes the writer's backlog would otherwise be
/// fetched a second time through sync, on both sides' single writer. Sans-IO; the gossip actor owns it.
/// </summary>
public sealed class HandedVersions
{
    private readonly Dictionary<ActorId, RangeSet> _byActor = [];

    /// <summary>Origins with versions remembered (each kept as few ranges; see <see cref="Apply"/>).</summary>
    public int ActorCount => _byActor.Count;

    /// <summary>Notes that version <paramref name="version"/> of <paramref name="actor"/> went to the writer.</summary>
    /// <param name="actor">The origin.</param>
    /// <param name="version">The version.</param>
    public void Add(ActorId actor, long version)
    {
        if (!_byActor.TryGetValue(actor, out var set))
        {
            set = new RangeSet();
            _byActor[actor] = set;
        }

        set.Add(version, version);
    }

    /// <summary>Forgets a version whose merge failed: sync may ask for it again.</summary>
    /// <param name="actor">The origin.</param>
    /// <param name="version">The version.</param>
    public void Remove(ActorId actor, long version)
    {
        if (_byActor.TryGetValue(actor, out var set))
        {
            set.Remove(version, version);
        }
    }

    /// <summary>Whether <paramref name="version"/> of <paramref name="actor"/> is remembered.</summary>
    /// <param name="actor">The origin.</param>
    /// <param name="version">The version.</param>
    /// <returns>True when handed and not forgotten.</returns>
    public bool Contains(ActorId actor, long version) => _byActor.TryGetValue(actor, out var set) && set.Contains(version);

    /// <summary>
    /// <paramref name="ours"/> (the writer's state, read a moment ago) as it will be once the writer merged
    /// what was handed to it: handed versions count as present, raising the head and closing needs.
    /// What the state shows merged without a gap is forgotten here, so the sets stay a few ranges.
    /// </summary>
    /// <param name="ours">This node's sync state.</param>
    /// <returns>The state to plan a round with.</returns>
    public SyncState Apply(SyncState ours)
    {
        ArgumentNullException.ThrowIfNull(ours);
        if (_byActor.Count == 0)
        {
            return ours;
        }

        var heads = new Dictionary<ActorId, long>(ours.Heads);
        var needs = new Dictionary<ActorId, IReadOnlyList<VersionRange>>(ours.Needs);
        var partial = new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>(ours.PartialNeeds);
        List<ActorId>? emptied = null;
        foreach (var (actor, handed) in _byActor)
        {
            var head = heads.GetValueOrDefault(actor);
            // The writer had merged everything up to here when it read the state: nothing left to remember.
            var floor = needs.TryGetValue(actor, out var gaps) && gaps.Count > 0 ? Math.Min(head, gaps.Min(static r => r.Start) - 1) : head;
            if (floor > 0)
            {
                handed.Remove(1, floor);
            }

            if (handed.IsEmpty)
            {
                (emptied ??= []).Add(actor);
                continue;
            }

            if (actor == ours.Actor)
            {
                continue;
            }

            var missing = new RangeSet();
            foreach (var gap in gaps ?? [])
            {
                missing.Add(gap.Start, gap.End);
            }

            var top = Math.Max(head, handed.Ranges[^1].End);
            if (top > head)
            {
                missing.Add(head + 1, top);
            }

            missing.ExceptWith(handed);
            heads[actor] = top;
            if (missing.IsEmpty)
            {
                needs.Remove(actor);
            }
            else
            {
                needs[actor] = missing.Ranges.Select(static r => new VersionRange(r.Start, r.End)).ToList();
            }

            if (partial.TryGetValue(actor, out var chunks) && chunks.Keys.Any(handed.Contains))
            {
                var left = chunks.Where(c => !handed.Contains(c.Key)).ToDictionary(static c => c.Key, static c => c.Value);
                if (left.Count == 0)
                {
                    partial.Remove(actor);
                }
                else
                {
                    partial[actor] = left;
                }
            }
        }

        foreach (var actor in emptied ?? [])
        {
            _byActor.Remove(actor);
        }

        return ours with { Heads = heads, Needs = needs, PartialNeeds = partial };
    }
}
