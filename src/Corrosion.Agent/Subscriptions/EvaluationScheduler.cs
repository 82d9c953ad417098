namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Decides which live queries evaluate when, sans-IO: a subscription with listeners and pending
/// changes starts at once when a slot is free (no batch wait); while it runs, further changes only
/// collect and it goes again when it finishes (a burst is coalesced into the next evaluation); at
/// most <see cref="MaxConcurrent"/> run at once, first come first served, so one slow query holds one
/// slot and the others keep going through the rest. A subscription without listeners is not
/// scheduled for changes at all: its keys collect (bounded) until someone wants it
/// (<see cref="Want"/>, on re-attach).
/// </summary>
internal sealed class EvaluationScheduler
{
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);

    public EvaluationScheduler(int maxConcurrent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        MaxConcurrent = maxConcurrent;
    }

    /// <summary>Most evaluations running at once.</summary>
    public int MaxConcurrent { get; }

    /// <summary>Evaluations running now.</summary>
    public int Running => _running.Count;

    /// <summary>Subscriptions waiting for a slot.</summary>
    public int Waiting => _ready.Count;

    /// <summary>True while <paramref name="id"/> is evaluating.</summary>
    public bool IsRunning(string id) => _running.Contains(id);

    /// <summary>
    /// <paramref name="id"/> has pending changes. With <paramref name="listened"/> false (no listener)
    /// nothing is scheduled: the changes wait for <see cref="Want"/>.
    /// </summary>
    public void Changed(string id, bool listened)
    {
        if (listened)
        {
            Want(id);
        }
    }

    /// <summary><paramref name="id"/> must evaluate (a listener attached, or changes for a listened one); no-op while it runs or waits.</summary>
    public void Want(string id)
    {
        if (!_running.Contains(id) && _queued.Add(id))
        {
            _ready.Enqueue(id);
        }
    }

    /// <summary>
    /// <paramref name="id"/>'s evaluation finished; with <paramref name="again"/> (changes arrived
    /// meanwhile and it is listened to, or someone waits for it) it queues for another.
    /// </summary>
    public void Finished(string id, bool again)
    {
        _running.Remove(id);
        if (again)
        {
            Want(id);
        }
    }

    /// <summary>Forgets <paramref name="id"/> (removed); a running evaluation's result is to be ignored.</summary>
    public void Remove(string id)
    {
        _running.Remove(id);
        _queued.Remove(id);
    }

    /// <summary>The subscriptions to start now (marked running), oldest first, up to the free slots.</summary>
    public List<string> Start()
    {
        var start = new List<string>();
        while (_running.Count < MaxConcurrent && _ready.TryDequeue(out var id))
        {
            if (!_queued.Remove(id))
            {
                // Removed while waiting.
                continue;
            }

            _running.Add(id);
            start.Add(id);
        }

        return start;
    }
}
