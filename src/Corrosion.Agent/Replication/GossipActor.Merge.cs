using Akka.Actor;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

/// <summary>
/// Broadcast changesets on their way to the writer. At most <see cref="GossipOptions.MergesInFlight"/>
/// merges are handed over at a time; what arrives meanwhile waits here and goes as one transaction
/// when the writer answers, so the busier the writer, the larger (and cheaper per row) its merges,
/// up to <see cref="GossipOptions.MergeBatchChanges"/>. An idle writer gets each changeset at once.
/// Once a full batch waits it goes without waiting for an answer, so a writer that cannot keep up
/// has merges queued before local writes again (which slows the local writers: back-pressure).
/// </summary>
public sealed partial class GossipActor
{
    private readonly List<Changeset> _toMerge = [];
    private int _toMergeChanges;
    private int _mergesInFlight;

    // Versions handed to the writer: a sync round counts them as present, so it does not ask peers for them.
    private readonly HandedVersions _handed = new();

    private void QueueMerge(List<Changeset> batch)
    {
        foreach (var changeset in batch)
        {
            _toMerge.Add(changeset);
            _toMergeChanges += ChangeCount(changeset);
        }

        // Counted as the apply queue from now on; the writer takes them off once merged (Queued).
        _telemetry?.AddApplyQueue(batch.Count);
        FlushMerges();
    }

    private void FlushMerges()
    {
        while (_toMerge.Count > 0 && (_mergesInFlight < _options.MergesInFlight || _toMergeChanges >= _options.MergeBatchChanges))
        {
            var take = 0;
            var changes = 0;
            while (take < _toMerge.Count && (take == 0 || changes + ChangeCount(_toMerge[take]) <= _options.MergeBatchChanges))
            {
                changes += ChangeCount(_toMerge[take]);
                take++;
            }

            var merge = _toMerge.GetRange(0, take);
            _toMerge.RemoveRange(0, take);
            _toMergeChanges -= changes;
            _mergesInFlight++;
            foreach (var changeset in merge)
            {
                if (changeset is ChangesetFull { IsComplete: true } full)
                {
                    _handed.Add(full.Actor, full.Version);
                }
            }

            // The answer comes back through a reply slot, never into this actor's bounded mailbox from
            // the writer's thread: the writer must not wait on gossip while gossip waits on it.
            // A failed merge is logged by storage and repaired by sync.
            _storage.Ask<ApplyOutcome>(r => new ApplyChangesets(merge, r) { Queued = _telemetry is not null }, _options.StorageTimeout)
                .PipeTo(Self, success: outcome => new BroadcastMerged(merge, outcome), failure: _ => new BroadcastMerged(merge, null));
        }
    }

    private void OnMerged(BroadcastMerged merged)
    {
        _mergesInFlight = Math.Max(0, _mergesInFlight - 1);
        if (merged.Outcome?.Result is { } result)
        {
            // Also heard as a storage event, but that one may be dropped under load (the forwarder's mailbox): the reply is not.
            OnAppliedRemote(result);
        }

        if (merged.Outcome is not { Error: null })
        {
            // Not all of it merged: what did not is sync's again. The applied versions stay ranges,
            // never enumerated: a cleared range a peer sent may hold billions of versions (the gossip
            // fuzz campaign's 51..34359738382 kept this actor in a loop for good, so no broadcast was
            // merged again), and one ending at long.MaxValue overflowed the loop's counter.
            var applied = new Dictionary<ActorId, Sync.RangeSet>();
            foreach (var versions in merged.Outcome?.Result?.Applied ?? [])
            {
                if (!applied.TryGetValue(versions.Actor, out var set))
                {
                    set = new Sync.RangeSet();
                    applied[versions.Actor] = set;
                }

                set.Add(versions.Versions.Start, versions.Versions.End);
            }

            foreach (var changeset in merged.Changesets)
            {
                if (changeset is ChangesetFull full && !(applied.TryGetValue(full.Actor, out var set) && set.Contains(full.Version)))
                {
                    _handed.Remove(full.Actor, full.Version);
                }
            }
        }

        FlushMerges();
    }

    private static int ChangeCount(Changeset changeset) => changeset is ChangesetFull full ? Math.Max(1, full.Changes.Count) : 1;
}
