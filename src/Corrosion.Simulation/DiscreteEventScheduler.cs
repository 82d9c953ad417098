namespace Corrosion.Simulation;

/// <summary>
/// Virtual time and a queue of pending events ordered by (time, order of scheduling), so that a run is a
/// pure function of its inputs and seed. Single-threaded: events run inside <see cref="Step"/>.
/// </summary>
public sealed class DiscreteEventScheduler
{
    private readonly PriorityQueue<Action, (long Time, long Order)> _queue = new();
    private long _order;

    /// <summary>Current virtual time in milliseconds.</summary>
    public long NowMs { get; private set; }

    /// <summary>Events waiting.</summary>
    public int Pending => _queue.Count;

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; private set; }

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="timeMs"/> (not before now).</summary>
    public void At(long timeMs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _queue.Enqueue(action, (Math.Max(timeMs, NowMs), _order++));
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delayMs"/> of virtual time.</summary>
    public void After(long delayMs, Action action) => At(NowMs + Math.Max(0, delayMs), action);

    /// <summary>Runs the next event; false if none is pending.</summary>
    public bool Step()
    {
        if (!_queue.TryDequeue(out var action, out var key))
        {
            return false;
        }

        NowMs = key.Time;
        EventsRun++;
        action();
        return true;
    }

    /// <summary>Runs every event up to and including <paramref name="timeMs"/>, then sets the clock there.</summary>
    public void RunUntil(long timeMs)
    {
        while (_queue.TryPeek(out _, out var key) && key.Time <= timeMs)
        {
            Step();
        }

        NowMs = Math.Max(NowMs, timeMs);
    }

    /// <summary>Runs for <paramref name="durationMs"/> of virtual time.</summary>
    public void RunFor(long durationMs) => RunUntil(NowMs + durationMs);

    /// <summary>
    /// Runs until <paramref name="condition"/> holds (checked after each event) or virtual time passes
    /// <paramref name="deadlineMs"/>; returns whether the condition was met.
    /// </summary>
    public bool RunUntil(Func<bool> condition, long deadlineMs)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition())
        {
            return true;
        }

        while (_queue.TryPeek(out _, out var key) && key.Time <= deadlineMs)
        {
            Step();
            if (condition())
            {
                return true;
            }
        }

        NowMs = Math.Max(NowMs, deadlineMs);
        return condition();
    }
}
