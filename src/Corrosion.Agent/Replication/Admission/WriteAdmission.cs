using System.Diagnostics;

namespace Corrosion.Agent.Replication.Admission;

/// <summary>
/// The gate local write transactions pass before they reach the writer (cross-node back-pressure,
/// issue 14): <see cref="GossipActor"/> closes it while a live peer trails this node's versions by
/// more than <c>gossip.replication.max_peer_lag_changes</c> and opens it when none does. A closed
/// gate delays a write, never refuses it, and for at most <see cref="MaxWait"/>; an open one costs a
/// volatile read, so a write's latency does not change while nothing trails. Merges never pass here.
/// </summary>
/// <remarks>Thread-safe: the gossip actor opens and closes it, request handlers wait on it.</remarks>
public sealed class WriteAdmission
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    // Null while open; completed (and replaced by null) when the gate opens.
    private TaskCompletionSource? _closed;
    private long _delayed;
    private long _timedOut;
    private long _waitedTicks;

    /// <summary>Creates an open gate.</summary>
    /// <param name="maxWait">The longest one write waits for the gate (then it goes anyway).</param>
    /// <param name="time">The clock of the cap; null for the system clock.</param>
    public WriteAdmission(TimeSpan maxWait, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        MaxWait = maxWait;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The longest one write waits for the gate.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>Whether writes pass without waiting.</summary>
    public bool IsOpen => Volatile.Read(ref _closed) is null;

    /// <summary>Writes that waited at the gate, those that waited the whole <see cref="MaxWait"/>, and the time waited in all.</summary>
    public (long Delayed, long TimedOut, TimeSpan Waited) Counters =>
        (Interlocked.Read(ref _delayed), Interlocked.Read(ref _timedOut), TimeSpan.FromTicks(Interlocked.Read(ref _waitedTicks)));

    /// <summary>Completes at once while the gate is open; otherwise when it opens or after <see cref="MaxWait"/>, whichever is first.</summary>
    /// <param name="ct">Cancels the wait (the caller's request went away).</param>
    /// <returns>A task that completes when the write may go.</returns>
    public ValueTask WaitAsync(CancellationToken ct = default)
    {
        var closed = Volatile.Read(ref _closed);
        return closed is null || MaxWait == TimeSpan.Zero ? ValueTask.CompletedTask : new ValueTask(WaitClosedAsync(closed.Task, ct));
    }

    /// <summary>Closes the gate (no-op when closed): writes from now on wait.</summary>
    public void Close()
    {
        lock (_lock)
        {
            // Continuations run off the gossip actor's thread: it never runs a request's code.
            _closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Opens the gate (no-op when open) and releases every waiting write.</summary>
    public void Open()
    {
        TaskCompletionSource? closed;
        lock (_lock)
        {
            closed = _closed;
            _closed = null;
        }

        closed?.TrySetResult();
    }

    private async Task WaitClosedAsync(Task opened, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _delayed);
        try
        {
            await opened.WaitAsync(MaxWait, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A peer that trails for longer than this does not hold a write any further: it goes.
            Interlocked.Increment(ref _timedOut);
            ReplicationMetrics.WriteAdmissionTimedOut();
        }
        finally
        {
            var waited = Stopwatch.GetElapsedTime(started);
            Interlocked.Add(ref _waitedTicks, waited.Ticks);
            ReplicationMetrics.WriteAdmissionWaited(waited.TotalSeconds);
        }
    }
}
