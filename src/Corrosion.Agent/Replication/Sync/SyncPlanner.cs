using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// Sans-IO anti-entropy planning (DESIGN.md §5): when the next sync round starts, which peers take
/// part, what each peer has that this node lacks, and how to split those needs so that no version is
/// asked of two peers. No sockets, timers or clocks inside; randomness comes from the injected
/// <see cref="Random"/>. Not thread-safe: one caller (the gossip actor) at a time.
/// </summary>
/// <remarks>
/// A round as a shell runs it: wait <see cref="NextSyncDelay"/>; <see cref="ChoosePeers(IReadOnlyList{ActorId})"/>;
/// open a session to each (taking a <see cref="SyncSessionLimiter"/> slot) and exchange sync states;
/// <see cref="AssignRequests"/> with the states that came back; send each peer its request and apply
/// the answers; then <see cref="RoundFinished"/> with whether anything was asked for.
/// </remarks>
public sealed class SyncPlanner
{
    private readonly Random _random;
    private TimeSpan _ceiling;

    /// <summary>Creates the planner for this node.</summary>
    /// <param name="self">This node's actor id (never chosen as a peer, never asked about its own versions).</param>
    /// <param name="options">Tuning; validated here.</param>
    /// <param name="random">Seeded source of randomness (delays, peer choice).</param>
    public SyncPlanner(ActorId self, SyncOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        Self = self;
        Options = options.Validate();
        _random = random;
        _ceiling = Clamp(options.MinInterval * 2);
    }

    /// <summary>This node's actor id.</summary>
    public ActorId Self { get; }

    /// <summary>The options in use.</summary>
    public SyncOptions Options { get; }

    /// <summary>The longest delay <see cref="NextSyncDelay"/> may return now.</summary>
    public TimeSpan CurrentMaxDelay => _ceiling;

    /// <summary>
    /// Records how the last round went: one that found something missing brings the next rounds
    /// close (between min and twice min), one that found nothing doubles the longest pause, up to max.
    /// </summary>
    public void RoundFinished(bool foundNeeds) =>
        _ceiling = foundNeeds ? Clamp(Options.MinInterval * 2) : Clamp(_ceiling * 2);

    /// <summary>
    /// Starts the back-off over (the longest pause back to twice the minimum), as after a round that
    /// found something missing: a member came back and what it holds may be new here.
    /// </summary>
    public void ResetBackoff() => _ceiling = Clamp(Options.MinInterval * 2);

    /// <summary>A random pause before the next round, between the minimum and <see cref="CurrentMaxDelay"/>.</summary>
    public TimeSpan NextSyncDelay()
    {
        var min = Options.MinInterval.Ticks;
        var span = _ceiling.Ticks - min;
        // Uniform jitter so that nodes started together do not sync in lockstep.
        return TimeSpan.FromTicks(min + (span <= 0 ? 0 : _random.NextInt64(span + 1)));
    }

    /// <summary>How many peers a round takes in a cluster of <paramref name="clusterSize"/> members: <c>clamp(n / 100, min, max)</c>.</summary>
    public int PeerCount(int clusterSize) => Math.Clamp(clusterSize / 100, Options.MinPeers, Options.MaxPeers);

    /// <summary>
    /// Picks <see cref="PeerCount"/>(members.Count) distinct random members other than this node
    /// (all of them when there are fewer).
    /// </summary>
    public IReadOnlyList<ActorId> ChoosePeers(IReadOnlyList<ActorId> members) => ChoosePeers(members, static id => id);

    /// <summary>As <see cref="ChoosePeers(IReadOnlyList{ActorId})"/>, for any member type that has an actor id.</summary>
    /// <param name="members">The members to choose from (this node among them or not).</param>
    /// <param name="idOf">A member's actor id.</param>
    /// <param name="clusterSize">The cluster's size for <see cref="PeerCount"/> when <paramref name="members"/> is a subset; null takes its count.</param>
    public IReadOnlyList<TMember> ChoosePeers<TMember>(IReadOnlyList<TMember> members, Func<TMember, ActorId> idOf, int? clusterSize = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(idOf);
        var seen = new HashSet<ActorId>();
        var candidates = new List<TMember>(members.Count);
        foreach (var member in members)
        {
            var id = idOf(member);
            if (id != Self && seen.Add(id))
            {
                candidates.Add(member);
            }
        }

        var count = Math.Min(PeerCount(clusterSize ?? members.Count), candidates.Count);
        // Partial Fisher-Yates: the first `count` slots end up a uniform random sample.
        for (var i = 0; i < count; i++)
        {
            var j = i + _random.Next(candidates.Count - i);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
        }

        return candidates.GetRange(0, count);
    }

    /// <summary>
    /// What <paramref name="theirs"/> has that <paramref name="ours"/> lacks. Per origin actor other than
    /// ours: whole versions in (our gaps ∪ (our head, their head]) that they have applied (not in their
    /// gaps, not partial on their side), excluding versions partial on our side; and, for versions partial
    /// on our side, the seq ranges we miss that they have (all of them when they have the whole version,
    /// those they do not miss themselves when it is partial on both sides).
    /// </summary>
    public static IReadOnlyList<ActorNeeds> ComputeNeeds(SyncState ours, SyncState theirs)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(theirs);
        var result = new List<ActorNeeds>();
        foreach (var (actor, theirHead) in theirs.Heads.OrderBy(static kv => kv.Key))
        {
            if (actor == ours.Actor || theirHead < 1)
            {
                continue;
            }

            var theirPartials = PartialsOf(theirs, actor);
            var haves = new RangeSet([(1, theirHead)]);
            haves.ExceptWith(VersionSet(theirs.Needs.GetValueOrDefault(actor)));
            foreach (var version in theirPartials.Keys)
            {
                haves.Remove(version, version);
            }

            var ourPartials = PartialsOf(ours, actor);
            var ourHead = ours.Heads.GetValueOrDefault(actor);
            var wanted = VersionSet(ours.Needs.GetValueOrDefault(actor));
            if (theirHead > ourHead)
            {
                wanted.Add(Math.Max(ourHead, 0) + 1, theirHead);
            }
            foreach (var version in ourPartials.Keys)
            {
                wanted.Remove(version, version);
            }

            var full = wanted.Intersect(haves);
            var partials = new List<PartialVersionNeed>();
            foreach (var (version, missing) in ourPartials.OrderBy(static kv => kv.Key))
            {
                var seqs = SeqSet(missing);
                if (!haves.Contains(version))
                {
                    if (!theirPartials.TryGetValue(version, out var theirMissing))
                    {
                        continue;
                    }

                    seqs.ExceptWith(SeqSet(theirMissing));
                }

                if (!seqs.IsEmpty)
                {
                    partials.Add(new PartialVersionNeed(version, ToSeqRanges(seqs)));
                }
            }

            if (!full.IsEmpty || partials.Count > 0)
            {
                result.Add(new ActorNeeds(actor, ToVersionRanges(full), partials));
            }
        }

        return result;
    }

    /// <summary>
    /// Splits what the <paramref name="peers"/> have and this node lacks into one request per peer:
    /// every needed version (and seq of a partial version) is asked of exactly one peer that has it,
    /// whole versions in ranges of at most <see cref="SyncOptions.MaxVersionsPerRequest"/>, each chunk
    /// going to the least-loaded peer that has it (ties rotate), so the work spreads evenly. A peer is asked
    /// for at most <see cref="SyncOptions.MaxVersionsPerRound"/> whole versions; the rest waits for later rounds.
    /// Peers with nothing to give get no request; a peer listed twice counts once.
    /// </summary>
    public IReadOnlyList<SyncPeerRequest> AssignRequests(SyncState ours, IReadOnlyList<SyncState> peers)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(peers);
        var distinct = peers.Where(p => p.Actor != ours.Actor).DistinctBy(static p => p.Actor).ToList();
        var needs = distinct.Select(p => ComputeNeeds(ours, p).ToDictionary(static n => n.Actor)).ToList();
        var assigner = new Assigner(distinct.Count, Options.MaxVersionsPerRequest, Options.MaxVersionsPerRound);
        var actors = needs.SelectMany(static n => n.Keys).Distinct().Order().ToList();
        var versionPieces = new List<Piece>();
        var seqPieces = new List<Piece>();
        foreach (var actor in actors)
        {
            var versionSets = needs.Select(n => n.TryGetValue(actor, out var an) ? VersionSet(an.Versions) : null).ToList();
            versionPieces.AddRange(Elementary(actor, version: 0, versionSets));

            var partialVersions = needs
                .SelectMany(n => n.TryGetValue(actor, out var an) ? an.Partials.Select(static p => p.Version) : [])
                .Distinct()
                .Order();
            foreach (var version in partialVersions)
            {
                var seqSets = needs.Select(n =>
                    n.TryGetValue(actor, out var an) && an.Partials.FirstOrDefault(p => p.Version == version) is { } p
                        ? SeqSet(p.Seqs)
                        : null).ToList();
                seqPieces.AddRange(Elementary(actor, version, seqSets));
            }
        }

        // Pieces few peers have go first, so the peers that have more can even out the load afterwards.
        foreach (var piece in versionPieces.OrderBy(static p => p.Candidates.Count))
        {
            assigner.AssignVersions(piece);
        }

        foreach (var piece in seqPieces.OrderBy(static p => p.Candidates.Count))
        {
            assigner.AssignSeqs(piece);
        }

        var requests = new List<SyncPeerRequest>();
        for (var i = 0; i < distinct.Count; i++)
        {
            var request = assigner.RequestFor(i, distinct[i].Actor);
            if (request.Needs.Count > 0)
            {
                requests.Add(request);
            }
        }

        return requests;
    }

    private TimeSpan Clamp(TimeSpan value) =>
        value < Options.MinInterval ? Options.MinInterval : value > Options.MaxInterval ? Options.MaxInterval : value;

    private static IReadOnlyDictionary<long, IReadOnlyList<SeqRange>> PartialsOf(SyncState state, ActorId actor) =>
        state.PartialNeeds.TryGetValue(actor, out var partials) ? partials : new Dictionary<long, IReadOnlyList<SeqRange>>();

    internal static RangeSet VersionSet(IEnumerable<VersionRange>? ranges) =>
        new((ranges ?? []).Select(static r => (r.Start, r.End)));

    internal static RangeSet SeqSet(IEnumerable<SeqRange>? ranges) =>
        new((ranges ?? []).Select(static r => (r.Start, r.End)));

    internal static List<VersionRange> ToVersionRanges(RangeSet set) =>
        set.Ranges.Select(static r => new VersionRange(r.Start, r.End)).ToList();

    internal static List<SeqRange> ToSeqRanges(RangeSet set) =>
        set.Ranges.Select(static r => new SeqRange(r.Start, r.End)).ToList();

    /// <summary>
    /// Cuts the union of the sets at every range boundary of every set, so each piece is held whole
    /// by a fixed group of peers (indexes into the sets); yields the pieces someone has, with that group.
    /// </summary>
    private static IEnumerable<Piece> Elementary(ActorId actor, long version, List<RangeSet?> sets)
    {
        var cuts = new SortedSet<long>();
        // A range ending at long.MaxValue has no cut after it (end + 1 would overflow); its last piece runs to the end.
        var throughMax = false;
        foreach (var set in sets)
        {
            if (set is null)
            {
                continue;
            }

            foreach (var (start, end) in set.Ranges)
            {
                cuts.Add(start);
                if (end == long.MaxValue)
                {
                    throughMax = true;
                }
                else
                {
                    cuts.Add(end + 1);
                }
            }
        }

        long? previous = null;
        foreach (var cut in cuts)
        {
            if (previous is { } start && PieceOf(start, cut - 1) is { } piece)
            {
                yield return piece;
            }

            previous = cut;
        }

        if (throughMax && previous is { } last && PieceOf(last, long.MaxValue) is { } final)
        {
            yield return final;
        }

        Piece? PieceOf(long start, long end)
        {
            var candidates = new List<int>();
            for (var i = 0; i < sets.Count; i++)
            {
                if (sets[i] is { } set && set.Contains(start))
                {
                    candidates.Add(i);
                }
            }

            return candidates.Count > 0 ? new Piece(actor, version, start, end, candidates) : null;
        }
    }

    /// <summary>A run of versions (or of seqs of one partial version) that the same peers have.</summary>
    private sealed record Piece(ActorId Actor, long Version, long Start, long End, List<int> Candidates);

    /// <summary>Accumulates one round's assignment: chunks per peer and the load each peer carries.</summary>
    private sealed class Assigner(int peerCount, int maxVersions, long maxPerRound)
    {
        private readonly long[] _load = new long[peerCount];
        private readonly List<(ActorId Actor, long Start, long End)>[] _versions =
            Enumerable.Range(0, peerCount).Select(static _ => new List<(ActorId, long, long)>()).ToArray();
        private readonly Dictionary<(ActorId Actor, long Version), RangeSet>[] _seqs =
            Enumerable.Range(0, peerCount).Select(static _ => new Dictionary<(ActorId, long), RangeSet>()).ToArray();
        private int _rotation;

        public void AssignVersions(Piece piece)
        {
            // Chunks no larger than the cap, each to the least-loaded peer that has it, until every peer that has
            // the piece carries the round's cap: the loop is bounded by the cap, never by the piece's length (a
            // peer may announce a head of long.MaxValue), and no step overflows.
            var chunkStart = piece.Start;
            while (true)
            {
                var peer = LeastLoaded(piece.Candidates);
                if (_load[peer] >= maxPerRound)
                {
                    return;
                }

                var chunkEnd = piece.End - chunkStart < maxVersions ? piece.End : chunkStart + maxVersions - 1;
                _load[peer] += chunkEnd - chunkStart + 1;
                _versions[peer].Add((piece.Actor, chunkStart, chunkEnd));
                if (chunkEnd == piece.End)
                {
                    return;
                }

                chunkStart = chunkEnd + 1;
            }
        }

        public void AssignSeqs(Piece piece)
        {
            var peer = LeastLoaded(piece.Candidates);
            // A partial piece is cheap compared with whole versions: weigh it as one.
            _load[peer] += 1;
            if (!_seqs[peer].TryGetValue((piece.Actor, piece.Version), out var seqs))
            {
                seqs = new RangeSet();
                _seqs[peer][(piece.Actor, piece.Version)] = seqs;
            }

            seqs.Add(piece.Start, piece.End);
        }

        public SyncPeerRequest RequestFor(int peer, ActorId peerId)
        {
            var actors = _versions[peer].Select(static c => c.Actor)
                .Concat(_seqs[peer].Keys.Select(static k => k.Actor))
                .Distinct()
                .Order();
            var needs = new List<ActorNeeds>();
            foreach (var actor in actors)
            {
                var partials = _seqs[peer].Where(kv => kv.Key.Actor == actor).OrderBy(static kv => kv.Key.Version)
                    .Select(static kv => new PartialVersionNeed(kv.Key.Version, ToSeqRanges(kv.Value))).ToList();
                needs.Add(new ActorNeeds(actor, MergedChunks(peer, actor), partials));
            }

            return new SyncPeerRequest(peerId, needs);
        }

        /// <summary>The peer's chunks of one actor in order, adjacent ones joined while they stay within the cap.</summary>
        private List<VersionRange> MergedChunks(int peer, ActorId actor)
        {
            var merged = new List<VersionRange>();
            foreach (var (_, start, end) in _versions[peer].Where(c => c.Actor == actor).OrderBy(static c => c.Start))
            {
                if (merged.Count > 0 && merged[^1] is var last && last.End + 1 == start && end - last.Start + 1 <= maxVersions)
                {
                    merged[^1] = new VersionRange(last.Start, end);
                }
                else
                {
                    merged.Add(new VersionRange(start, end));
                }
            }

            return merged;
        }

        private int LeastLoaded(List<int> candidates)
        {
            // Start the scan at a rotating offset so equal loads take turns.
            var offset = _rotation++ % candidates.Count;
            var best = candidates[offset];
            for (var k = 1; k < candidates.Count; k++)
            {
                var c = candidates[(offset + k) % candidates.Count];
                if (_load[c] < _load[best])
                {
                    best = c;
                }
            }

            return best;
        }
    }
}
