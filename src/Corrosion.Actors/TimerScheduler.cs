using Corrosion.Actors.Internal;

namespace Corrosion.Actors;

/// <summary>
/// Keyed timers of one actor on the system's <see cref="TimeProvider"/>. Starting a key again replaces its timer, and a tick
/// of a replaced or cancelled timer that is already queued is discarded. Use only from the actor's own handlers.
/// </summary>
/// <typeparam name="T">The actor's protocol.</typeparam>
public sealed class TimerScheduler<T>
    where T : notnull
{
    private readonly ActorCell<T> cell;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly Dictionary<object, Entry> timers = [];
    private long generation;

    internal TimerScheduler(ActorCell<T> cell, TimeProvider time)
    {
        this.cell = cell;
        this.time = time;
    }

    /// <summary>Sends <paramref name="message"/> to self once after <paramref name="delay"/>.</summary>
    /// <param name="key">Identifies the timer; an active timer with the same key is replaced.</param>
    /// <param name="message">The message to deliver.</param>
    /// <param name="delay">How long from now.</param>
    public void StartSingleTimer(object key, T message, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Start(key, message, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sends <paramref name="message"/> to self every <paramref name="interval"/>, the first after one interval.</summary>
    /// <param name="key">Identifies the timer; an active timer with the same key is replaced.</param>
    /// <param name="message">The message to deliver.</param>
    /// <param name="interval">The period (positive).</param>
    public void StartPeriodicTimer(object key, T message, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Start(key, message, interval, interval);
    }

    /// <summary>True while a timer with this key is active (a single timer stops being active when delivered).</summary>
    /// <param name="key">The timer's key.</param>
    /// <returns>Whether it is active.</returns>
    public bool IsActive(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (gate)
        {
            return timers.ContainsKey(key);
        }
    }

    /// <summary>Cancels the timer with this key, if any; its queued tick is discarded.</summary>
    /// <param name="key">The timer's key.</param>
    public void Cancel(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (gate)
        {
            if (timers.Remove(key, out var entry))
            {
                entry.Timer?.Dispose();
            }
        }
    }

    /// <summary>Cancels every timer of the actor.</summary>
    public void CancelAll()
    {
        lock (gate)
        {
            foreach (var entry in timers.Values)
            {
                entry.Timer?.Dispose();
            }

            timers.Clear();
        }
    }

    /// <summary>Whether a tick should be delivered (its timer is still the current one for the key); retires single timers.</summary>
    internal bool Accept(object key, long tickGeneration)
    {
        lock (gate)
        {
            if (!timers.TryGetValue(key, out var entry) || entry.Generation != tickGeneration)
            {
                return false;
            }

            if (!entry.Periodic)
            {
                timers.Remove(key);
                entry.Timer?.Dispose();
            }

            return true;
        }
    }

    private void Start(object key, T message, TimeSpan due, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (gate)
        {
            if (timers.Remove(key, out var old))
            {
                old.Timer?.Dispose();
            }

            var entry = new Entry(cell, key, message, ++generation, period != Timeout.InfiniteTimeSpan);
            timers[key] = entry;
            entry.Timer = time.CreateTimer(static s => ((Entry)s!).Fire(), entry, due, period);
        }
    }

    private sealed class Entry(ActorCell<T> cell, object key, T message, long generation, bool periodic)
    {
        public long Generation { get; } = generation;

        public bool Periodic { get; } = periodic;

        public ITimer? Timer { get; set; }

        public void Fire() => cell.EnqueueTimerTick(message, key, Generation);
    }
}
