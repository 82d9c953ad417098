using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// One listener's bounded buffer of changes (read as a <see cref="ChannelReader{T}"/>). The
/// subscription actor adds a delivery's changes with <see cref="TryAdd"/> and then wakes the reader
/// once with <see cref="Wake"/>, so a burst is read, and an HTTP stream flushed, once. A reader made
/// with <c>wakeInline</c> is resumed on the waking thread (the actor's): only for a reader whose
/// continuation does little and never blocks (the HTTP stream's pump writes lines and starts a flush),
/// which saves a thread-pool hop per event; any other reader (an in-process client's own code) is
/// resumed on the thread pool. When completed, the reader still gets what was added before; then
/// <see cref="WaitToReadAsync"/> answers false, or throws the error it was completed with.
/// </summary>
internal sealed class ListenerQueue : ChannelReader<SubscriptionChange>
{
    private readonly object _gate = new();
    private readonly Queue<SubscriptionChange> _items = new();
    private readonly int _capacity;
    private readonly bool _wakeInline;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _waiter;
    private CancellationTokenRegistration _waiterCancel;
    private bool _done;
    private Exception? _error;

    /// <param name="capacity">How many changes it holds before <see cref="TryAdd"/> refuses.</param>
    /// <param name="wakeInline">Resume the waiting reader on the thread that wakes it.</param>
    public ListenerQueue(int capacity, bool wakeInline)
    {
        _capacity = capacity;
        _wakeInline = wakeInline;
    }

    /// <inheritdoc/>
    public override Task Completion => _completion.Task;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <inheritdoc/>
    public override int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Adds a change without waking the reader; false when full or completed.</summary>
    public bool TryAdd(SubscriptionChange change)
    {
        lock (_gate)
        {
            if (_done || _items.Count >= _capacity)
            {
                return false;
            }

            _items.Enqueue(change);
            return true;
        }
    }

    /// <summary>Wakes a waiting reader when something is there to read.</summary>
    public void Wake()
    {
        TaskCompletionSource<bool>? waiter;
        CancellationTokenRegistration cancel;
        lock (_gate)
        {
            if (_waiter is null || _items.Count == 0)
            {
                return;
            }

            (waiter, cancel) = TakeWaiter();
        }

        cancel.Unregister();
        waiter.TrySetResult(true);
    }

    /// <summary>
    /// Completes it: no more changes are added; the reader gets those already there, then the end
    /// (or <paramref name="error"/>). False when it was completed already.
    /// </summary>
    public bool TryComplete(Exception? error = null)
    {
        TaskCompletionSource<bool>? waiter = null;
        CancellationTokenRegistration cancel = default;
        bool drained;
        lock (_gate)
        {
            if (_done)
            {
                return false;
            }

            _done = true;
            _error = error;
            drained = _items.Count == 0;
            if (_waiter is not null)
            {
                (waiter, cancel) = TakeWaiter();
            }
        }

        if (drained)
        {
            Finish();
        }

        if (waiter is not null)
        {
            cancel.Unregister();
            Answer(waiter, hasItems: !drained);
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool TryRead([MaybeNullWhen(false)] out SubscriptionChange item)
    {
        bool finished;
        lock (_gate)
        {
            if (!_items.TryDequeue(out item!))
            {
                return false;
            }

            finished = _done && _items.Count == 0;
        }

        if (finished)
        {
            Finish();
        }

        return true;
    }

    /// <inheritdoc/>
    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_items.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_done)
            {
                return _error is { } error ? ValueTask.FromException<bool>(error) : new ValueTask<bool>(false);
            }

            if (_waiter is { } pending)
            {
                // One reader, but a second wait before the first ended shares it.
                return new ValueTask<bool>(pending.Task);
            }

            waiter = new TaskCompletionSource<bool>(_wakeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = waiter;
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (queue, cancelled) = ((ListenerQueue, TaskCompletionSource<bool>))state!;
                    queue.Cancel(cancelled, token);
                },
                (this, waiter));
            lock (_gate)
            {
                if (ReferenceEquals(_waiter, waiter))
                {
                    _waiterCancel = registration;
                    registration = default;
                }
            }

            // Woken or cancelled meanwhile: the registration is not needed.
            registration.Unregister();
        }

        return new ValueTask<bool>(waiter.Task);
    }

    private void Cancel(TaskCompletionSource<bool> waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_waiter, waiter))
            {
                // Woken already: this wait is over.
                return;
            }

            _waiter = null;
            _waiterCancel = default;
        }

        waiter.TrySetCanceled(token);
    }

    private (TaskCompletionSource<bool> Waiter, CancellationTokenRegistration Cancel) TakeWaiter()
    {
        var taken = (_waiter!, _waiterCancel);
        _waiter = null;
        _waiterCancel = default;
        return taken;
    }

    private void Answer(TaskCompletionSource<bool> waiter, bool hasItems)
    {
        if (hasItems || _error is null)
        {
            waiter.TrySetResult(hasItems);
        }
        else
        {
            waiter.TrySetException(_error);
        }
    }

    private void Finish()
    {
        if (_error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(_error);
        }
    }
}
