namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>Counters of what <see cref="BroadcastPlanner"/> did and dropped, for metrics and tests.</summary>
public sealed class BroadcastCounters
{
    /// <summary>Local payloads accepted.</summary>
    public long LocalPayloads { get; internal set; }

    /// <summary>Payloads from peers seen for the first time (and so re-broadcast).</summary>
    public long ReceivedNew { get; internal set; }

    /// <summary>Payloads from peers (or local ones) already seen: dropped, not re-sent.</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Sends emitted in total.</summary>
    public long Sends { get; internal set; }

    /// <summary>Of <see cref="Sends"/>, those emitted by <see cref="BroadcastPlanner.Tick"/> (later transmissions).</summary>
    public long Retransmissions { get; internal set; }

    /// <summary>Pending payloads dropped, oldest first, because the pending queue was full (sync recovers them).</summary>
    public long DroppedPending { get; internal set; }

    /// <summary>Payloads whose transmission budget was spent.</summary>
    public long BudgetSpent { get; internal set; }

    /// <summary>Payloads retired early because every live peer had them.</summary>
    public long ReachedAll { get; internal set; }
}
