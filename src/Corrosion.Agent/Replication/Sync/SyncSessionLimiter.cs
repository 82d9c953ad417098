namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// Caps the sync sessions running at once, separately for the ones this node opened (outgoing) and
/// the ones peers opened (incoming). Refusals are counted. Thread-safe: the transport may accept
/// sessions on its own threads while the gossip actor opens others.
/// </summary>
public sealed class SyncSessionLimiter
{
    private int _outgoing;
    private int _incoming;
    private long _outgoingRefused;
    private long _incomingRefused;

    /// <summary>Creates a limiter with the given caps.</summary>
    /// <param name="maxOutgoing">Sessions this node may run at once (at least 1).</param>
    /// <param name="maxIncoming">Sessions this node may serve at once (0 refuses every one).</param>
    public SyncSessionLimiter(int maxOutgoing, int maxIncoming)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutgoing, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIncoming);
        MaxOutgoing = maxOutgoing;
        MaxIncoming = maxIncoming;
    }

    /// <summary>Creates a limiter from <see cref="SyncOptions"/>.</summary>
    public SyncSessionLimiter(SyncOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).MaxOutgoing, options.MaxIncoming)
    {
    }

    /// <summary>Cap of outgoing sessions.</summary>
    public int MaxOutgoing { get; }

    /// <summary>Cap of incoming sessions.</summary>
    public int MaxIncoming { get; }

    /// <summary>Outgoing sessions running now.</summary>
    public int ActiveOutgoing => Volatile.Read(ref _outgoing);

    /// <summary>Incoming sessions running now.</summary>
    public int ActiveIncoming => Volatile.Read(ref _incoming);

    /// <summary>Outgoing sessions not started because the cap was reached.</summary>
    public long OutgoingRefused => Interlocked.Read(ref _outgoingRefused);

    /// <summary>Incoming sessions refused because the cap was reached.</summary>
    public long IncomingRefused => Interlocked.Read(ref _incomingRefused);

    /// <summary>Takes an outgoing slot; false (and counted) when all are taken.</summary>
    public bool TryAcquireOutgoing() => TryAcquire(ref _outgoing, MaxOutgoing, ref _outgoingRefused);

    /// <summary>Takes an incoming slot; false (and counted) when all are taken.</summary>
    public bool TryAcquireIncoming() => TryAcquire(ref _incoming, MaxIncoming, ref _incomingRefused);

    /// <summary>Gives back an outgoing slot taken with <see cref="TryAcquireOutgoing"/>.</summary>
    /// <exception cref="InvalidOperationException">No outgoing slot is taken.</exception>
    public void ReleaseOutgoing() => Release(ref _outgoing, "outgoing");

    /// <summary>Gives back an incoming slot taken with <see cref="TryAcquireIncoming"/>.</summary>
    /// <exception cref="InvalidOperationException">No incoming slot is taken.</exception>
    public void ReleaseIncoming() => Release(ref _incoming, "incoming");

    private static bool TryAcquire(ref int active, int max, ref long refused)
    {
        while (true)
        {
            var current = Volatile.Read(ref active);
            if (current >= max)
            {
                Interlocked.Increment(ref refused);
                return false;
            }

            if (Interlocked.CompareExchange(ref active, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    private static void Release(ref int active, string direction)
    {
        while (true)
        {
            var current = Volatile.Read(ref active);
            if (current <= 0)
            {
                // A double release would silently raise the cap; fail loudly instead.
                throw new InvalidOperationException($"no {direction} sync session slot is held");
            }

            if (Interlocked.CompareExchange(ref active, current - 1, current) == current)
            {
                return;
            }
        }
    }
}
