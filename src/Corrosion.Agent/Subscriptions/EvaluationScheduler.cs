namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Decides which live queries evaluate when, sans-IO: a subscription with listeners and pending
/// changes starts at once when a slot is free (no batch wait); while it runs, further changes only
/// collect and it goes again when it finishes (a burst is coalesced into the next evaluation); at
/// most <see cref="MaxConcurrent"/> slots run at once, first come first served, so one slow query
/// holds one slot and the others keep going through the rest. Cheap evaluations (by key, quick last
/// time) may share one slot as a batch (<see cref="StartBatches"/>): they read one snapshot together.
/// A subscription without listeners is not scheduled for changes at all: its keys collect (bounded)
/// until someone wants it (<see cref="Want"/>, on re-attach).
/// </summary>
internal sealed class EvaluationScheduler
{
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);

    // Running subscription → its slot; slot → subscriptions of it still running.
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _slots = new();
    private int _nextSlot;

    public EvaluationScheduler(int maxConcurrent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        MaxConcurrent = maxConcurrent;
    }

    /// <summary>Most slots (evaluations, or batches of cheap ones) running at once.</summary>
    public int MaxConcurrent { get; }

    /// <summary>Slots in use now.</summary>
    public int Running => _slots.Count;

    /// <summary>Subscriptions waiting for a slot.</summary>
    public int Waiting => _ready.Count;

    /// <summary>True while <paramref name="id"/> is evaluating.</summary>
    public bool IsRunning(string id) => _running.ContainsKey(id);

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
        if (!_running.ContainsKey(id) && _queued.Add(id))
        {
            _ready.Enqueue(id);
        }
    }

    /// <summary>
    /// <paramref name="id"/>'s evaluation finished; with <paramref name="again"/> (changes arrived
    /// meanwhile and it is listened to, or someone waits for it) it queues for another. Its slot is
    /// free once every evaluation started in it finished.
    /// </summary>
    public void Finished(string id, bool again)
    {
        Release(id);
        if (again)
        {
            Want(id);
        }
    }

    /// <summary>Forgets <paramref name="id"/> (removed); a running evaluation's result is to be ignored.</summary>
    public void Remove(string id)
    {
        Release(id);
        _queued.Remove(id);
    }

    /// <summary>The subscriptions to start now (marked running), oldest first, each in its own slot, up to the free slots.</summary>
    public List<string> Start() => StartBatches(static _ => false).SelectMany(static s => s).ToList();

    /// <summary>
    /// The evaluations to start now (marked running), oldest first, grouped by slot: every waiting
    /// subscription <paramref name="batchable"/> accepts goes into one shared slot (one group), each
    /// other one takes a slot of its own, up to the free slots; what finds no slot keeps its place.
    /// </summary>
    public List<IReadOnlyList<string>> StartBatches(Func<string, bool> batchable)
    {
        var groups = new List<IReadOnlyList<string>>();
        if (_ready.Count == 0)
        {
            return groups;
        }

        List<string>? batch = null;
        var batchSlot = -1;
        var left = new List<string>();
        while (_ready.TryDequeue(out var id))
        {
            if (!_queued.Contains(id))
            {
                // Removed while waiting.
                continue;
            }

            if (batchable(id))
            {
                if (batch is null)
                {
                    if (_slots.Count >= MaxConcurrent)
                    {
                        left.Add(id);
                        continue;
                    }

                    batch = [];
                    batchSlot = TakeSlot();
                    groups.Add(batch);
                }

                Run(id, batchSlot);
                batch.Add(id);
            }
            else if (_slots.Count < MaxConcurrent)
            {
                Run(id, TakeSlot());
                groups.Add([id]);
            }
            else
            {
                left.Add(id);
            }
        }

        left.ForEach(_ready.Enqueue);
        return groups;
    }

    private int TakeSlot()
    {
        var slot = _nextSlot++;
        _slots[slot] = 0;
        return slot;
    }

    private void Run(string id, int slot)
    {
        _queued.Remove(id);
        _running[id] = slot;
        _slots[slot]++;
    }

    private void Release(string id)
    {
        if (_running.Remove(id, out var slot) && --_slots[slot] == 0)
        {
            _slots.Remove(slot);
        }
    }
}
