namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    /// <summary>
    /// The changesets of <paramref name="actor"/>'s <paramref name="versions"/> this node has
    /// applied, for sync: full changesets (chunked) with current values in seq order, and
    /// <see cref="ChangesetEmpty"/> for versions whose cells have all been overwritten since
    /// (or that arrived empty). Versions this node has not applied are left out.
    /// </summary>
    /// <param name="actor">The origin actor.</param>
    /// <param name="versions">The versions wanted.</param>
    /// <param name="maxChanges">
    /// Stop after the version at which the changes read reach this many (whole versions only, so one larger version is
    /// still read whole): the last changeset returned then covers the last version read, and the caller asks again from
    /// the next one. Bounds the time a sync read holds the writer and the memory it takes, whatever the versions' sizes.
    /// </param>
    public IReadOnlyList<Changeset> ChangesFor(ActorId actor, VersionRange versions, int maxChanges = int.MaxValue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new List<Changeset>();
        if (!_applied.TryGetValue(actor, out var set) || versions.End < versions.Start)
        {
            return result;
        }

        var meta = new SortedDictionary<long, (long LastSeq, ulong Ts)>();
        var read = Prepared("SELECT version, last_seq, ts FROM __corro_versions WHERE site_id = ?1 AND version BETWEEN ?2 AND ?3");
        read.BindBlob(1, actor.ToByteArray()).Bind(2, versions.Start).Bind(3, versions.End);
        while (read.Step())
        {
            meta[read.GetInt64(0)] = (read.GetInt64(1), (ulong)read.GetInt64(2));
        }

        read.Reset();
        _siteOrdinals.TryGetValue(actor, out var ordinal);
        var known = _siteOrdinals.ContainsKey(actor);
        (long Start, long End)? pendingEmpty = null;
        var changesRead = 0L;

        void Empty(long start, long end)
        {
            if (pendingEmpty is { } p && p.End + 1 == start)
            {
                pendingEmpty = (p.Start, end);
                return;
            }

            FlushEmpty();
            pendingEmpty = (start, end);
        }

        void FlushEmpty()
        {
            if (pendingEmpty is { } p)
            {
                result.Add(new ChangesetEmpty(actor, new VersionRange(p.Start, p.End)));
                pendingEmpty = null;
            }
        }

        foreach (var (rangeStart, rangeEnd) in set.Ranges)
        {
            var start = Math.Max(rangeStart, versions.Start);
            var end = Math.Min(rangeEnd, versions.End);
            if (start > end)
            {
                continue;
            }

            var cursor = start;
            foreach (var (version, info) in meta)
            {
                if (version < start || version > end)
                {
                    continue;
                }

                if (version > cursor)
                {
                    Empty(cursor, version - 1);
                }

                var changes = known ? CollectVersion(ordinal, version, actor) : new List<Change>();
                if (changes.Count == 0)
                {
                    Empty(version, version);
                }
                else
                {
                    FlushEmpty();
                    result.AddRange(Chunk(actor, version, changes, info.LastSeq, info.Ts));
                    changesRead += changes.Count;
                    if (changesRead >= maxChanges)
                    {
                        return result;
                    }
                }

                cursor = version + 1;
            }

            if (cursor <= end)
            {
                Empty(cursor, end);
            }
        }

        FlushEmpty();
        return result;
    }

    /// <summary>What this node has and lacks: heads, gaps and partially received versions.</summary>
    public SyncState GetSyncState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var partial = new Dictionary<ActorId, Dictionary<long, (RangeSet Seqs, long LastSeq)>>();
        var read = Prepared("SELECT site_id, version, start_seq, end_seq, last_seq FROM __corro_seq_bookkeeping");
        while (read.Step())
        {
            var actor = ActorId.FromBytes(read.GetBlob(0));
            if (!partial.TryGetValue(actor, out var versions))
            {
                versions = new Dictionary<long, (RangeSet, long)>();
                partial[actor] = versions;
            }

            var version = read.GetInt64(1);
            if (!versions.TryGetValue(version, out var entry))
            {
                entry = (new RangeSet(), read.GetInt64(4));
                versions[version] = entry;
            }

            entry.Seqs.Add(read.GetInt64(2), read.GetInt64(3));
        }

        read.Reset();
        var heads = new Dictionary<ActorId, long>();
        var needs = new Dictionary<ActorId, IReadOnlyList<VersionRange>>();
        var partialNeeds = new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>();
        foreach (var actor in _applied.Keys.Concat(partial.Keys).Distinct())
        {
            var set = _applied.TryGetValue(actor, out var s) ? s : new RangeSet();
            partial.TryGetValue(actor, out var partials);
            var head = Math.Max(set.Max, partials is null ? 0 : partials.Keys.Max());
            if (head == 0)
            {
                continue;
            }

            heads[actor] = head;
            var gaps = new List<VersionRange>();
            foreach (var (start, end) in set.Missing(1, head))
            {
                // Partially received versions are listed in the partial needs instead.
                var cursor = start;
                foreach (var v in partials?.Keys.Where(v => v >= start && v <= end).Order() ?? Enumerable.Empty<long>())
                {
                    if (v > cursor)
                    {
                        gaps.Add(new VersionRange(cursor, v - 1));
                    }

                    cursor = v + 1;
                }

                if (cursor <= end)
                {
                    gaps.Add(new VersionRange(cursor, end));
                }
            }

            if (gaps.Count > 0)
            {
                needs[actor] = gaps;
            }

            if (partials is not null)
            {
                partialNeeds[actor] = partials.ToDictionary(
                    p => p.Key,
                    p => (IReadOnlyList<SeqRange>)p.Value.Seqs.Missing(0, p.Value.LastSeq).Select(m => new SeqRange(m.Start, m.End)).ToList());
            }
        }

        return new SyncState(SiteId, heads, needs, partialNeeds);
    }
}
