using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Corrosion.Actors.Internal;

/// <summary>
/// The untyped half of an actor: its run loop, system queue, children, death watch and supervision of children.
/// Everything except the gate-protected collections is touched only by the cell's own loop.
/// </summary>
internal abstract partial class ActorCell
{
    private readonly Channel<SystemMessage> systemQueue =
        Channel.CreateUnbounded<SystemMessage>(new UnboundedChannelOptions { SingleReader = true });

    private readonly TaskCompletionSource terminatedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly Dictionary<string, ActorCell> children = new(StringComparer.Ordinal);
    private readonly HashSet<ActorCell> watchers = [];
    private readonly ConcurrentDictionary<IAskPromise, byte> pendingAsks = new();
    private readonly HashSet<ActorCell> watching = [];
    private readonly List<Signal> deferredSignals = [];
    private bool isTerminated;
    private Exception? terminationCause;
    private volatile bool isStopping;
    private bool loopDone;

    protected ActorCell(ActorSystem system, ActorCell? parent, string name, string path)
    {
        System = system;
        Parent = parent;
        Name = name;
        Path = path;
        Tags =
        [
            new("actor.system", system.Name),
            new("actor.path", path),
        ];
    }

    public ActorSystem System { get; }

    public ActorCell? Parent { get; }

    public string Name { get; }

    public string Path { get; }

    /// <summary>Metric tags of this actor.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    public abstract IActorRef SelfRef { get; }

    public abstract int MailboxDepth { get; }

    /// <summary>Completes when the actor has stopped, after its children, PostStop and death notices.</summary>
    public Task TerminatedTask => terminatedSource.Task;

    /// <summary>True from the moment the actor starts stopping; its mailbox no longer accepts messages.</summary>
    public bool IsStopping => isStopping;

    /// <summary>True while the actor does not process its mailbox (failed and awaiting its supervisor, or backing off).</summary>
    protected bool Suspended { get; set; }

    /// <summary>The strategy this actor applies to its children.</summary>
    protected abstract SupervisorStrategy CurrentStrategy { get; }

    public IReadOnlyCollection<IActorRef> ChildRefs
    {
        get
        {
            lock (gate)
            {
                return children.Values.Select(c => c.SelfRef).ToArray();
            }
        }
    }

    public void Start() => _ = Task.Run(RunAsync);

    public void SendSystem(SystemMessage message) => systemQueue.Writer.TryWrite(message);

    public ActorRef<TChild> SpawnChild<TChild>(Func<Actor<TChild>> factory, string name, MailboxOptions? mailbox)
        where TChild : notnull
    {
        ArgumentNullException.ThrowIfNull(factory);
        ValidateName(name);
        var options = mailbox ?? System.Options.DefaultMailbox;
        if (options.Capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(mailbox), "Mailbox capacity must be at least 1.");
        }

        ActorCell<TChild> child;
        lock (gate)
        {
            if (isStopping || isTerminated)
            {
                throw new InvalidOperationException($"Cannot spawn '{name}': {Path} is stopping.");
            }

            if (children.ContainsKey(name))
            {
                throw new ArgumentException($"An actor named '{name}' already exists under {Path}.", nameof(name));
            }

            child = new ActorCell<TChild>(System, this, name, Path + "/" + name, factory, options);
            children.Add(name, child);
        }

        System.Register(child);
        child.Start();
        return child.Self;
    }

    public bool IsChild(ActorCell cell)
    {
        lock (gate)
        {
            return children.TryGetValue(cell.Name, out var c) && ReferenceEquals(c, cell);
        }
    }

    /// <summary>Adds a watcher; false (with the cause) when this actor has already terminated.</summary>
    public bool TryAddWatcher(ActorCell watcher, out Exception? cause)
    {
        lock (gate)
        {
            cause = terminationCause;
            if (isTerminated)
            {
                return false;
            }

            watchers.Add(watcher);
            return true;
        }
    }

    public void RemoveWatcher(ActorCell watcher)
    {
        lock (gate)
        {
            watchers.Remove(watcher);
        }
    }

    /// <summary>Registers an ask waiting on this actor; false when it has already stopped.</summary>
    public bool RegisterAsk(IAskPromise promise)
    {
        pendingAsks.TryAdd(promise, 0);
        if (isStopping)
        {
            pendingAsks.TryRemove(promise, out _);
            return false;
        }

        return true;
    }

    public void UnregisterAsk(IAskPromise promise) => pendingAsks.TryRemove(promise, out _);

    /// <summary>Called by the actor's context (on this loop).</summary>
    public void Watch(ActorCell other)
    {
        if (ReferenceEquals(other, this) || !watching.Add(other))
        {
            return;
        }

        if (!other.TryAddWatcher(this, out var cause))
        {
            SendSystem(new DeathNotice(other, cause));
        }
    }

    public void Unwatch(ActorCell other)
    {
        if (watching.Remove(other))
        {
            other.RemoveWatcher(this);
        }
    }

    /// <summary>Creates the instance and runs PreStart; on failure reports to the supervisor and returns false.</summary>
    protected abstract ValueTask<bool> StartInstanceAsync();

    /// <summary>Processes one mailbox entry if there is one; false when the mailbox is empty.</summary>
    protected abstract ValueTask<bool> TryProcessOneAsync();

    protected abstract Task<bool> WaitForMailAsync();

    protected abstract void CloseMailbox();

    protected abstract void DrainMailboxAsDeadLetters();

    protected abstract void CancelTimers();

    protected abstract bool HasStartedInstance { get; }

    protected abstract ValueTask InvokePreRestartAsync(Exception cause);

    protected abstract ValueTask InvokePostStopAsync();

    protected abstract ValueTask InvokeSignalAsync(Signal signal);

    /// <summary>The instance failed: suspend and let the supervisor decide (the root stops the system).</summary>
    protected void Fail(Exception exception)
    {
        Suspended = true;
        KernelLog.ActorFailed(System.KernelLogger, Path, exception);
        if (Parent is null)
        {
            System.OnRootFailure(exception);
            SendSystem(new StopCommand(exception));
        }
        else
        {
            Parent.SendSystem(new ChildFailed(this, exception));
        }
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('$'))
        {
            throw new ArgumentException($"Invalid actor name '{name}': it must be non-empty, without '/', not starting with '$'.", nameof(name));
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await StartInstanceAsync();
            Task<bool>? systemWait = null;
            Task<bool>? mailWait = null;
            while (true)
            {
                while (systemQueue.Reader.TryRead(out var message))
                {
                    await HandleSystemAsync(message);
                    if (loopDone)
                    {
                        return;
                    }
                }

                if (!Suspended && await TryProcessOneAsync())
                {
                    continue;
                }

                systemWait ??= systemQueue.Reader.WaitToReadAsync().AsTask();
                if (Suspended)
                {
                    await systemWait;
                }
                else
                {
                    mailWait ??= WaitForMailAsync();
                    await Task.WhenAny(systemWait, mailWait);
                    if (mailWait.IsCompleted)
                    {
                        mailWait = null;
                    }
                }

                if (systemWait.IsCompleted)
                {
                    systemWait = null;
                }
            }
        }
        catch (Exception ex)
        {
            // A bug in the kernel itself: do not leave watchers and parents waiting forever.
            KernelLog.KernelFault(System.KernelLogger, Path, ex);
            if (!loopDone)
            {
                try
                {
                    await StopSelfAsync(ex);
                }
                catch (Exception inner)
                {
                    KernelLog.KernelFault(System.KernelLogger, Path, inner);
                    terminatedSource.TrySetResult();
                }
            }
        }
    }

    private async ValueTask HandleSystemAsync(SystemMessage message)
    {
        switch (message)
        {
            case StopCommand stop:
                await StopSelfAsync(stop.Cause);
                break;
            case RestartCommand restart:
                await RestartAsync(restart.Cause);
                break;
            case ResumeCommand:
                await ResumeAsync();
                break;
            case SuspendCommand:
                Suspended = true;
                break;
            case ChildFailed failed:
                OnChildFailed(failed.Child, failed.Cause);
                break;
            case RestartDue due:
                due.History.CancelPending();
                foreach (var target in due.Targets)
                {
                    if (IsChild(target))
                    {
                        target.SendSystem(new RestartCommand(due.Cause));
                    }
                }

                break;
            case ChildTerminated terminated:
                if (restartHistories.Remove(terminated.Child, out var history))
                {
                    history.CancelPending();
                }

                break;
            case DeathNotice notice:
                if (watching.Remove(notice.Actor))
                {
                    await DeliverSignalAsync(new Terminated(notice.Actor.SelfRef, notice.Cause));
                }

                break;
        }
    }

    private async ValueTask DeliverSignalAsync(Signal signal)
    {
        if (Suspended)
        {
            deferredSignals.Add(signal);
            return;
        }

        await InvokeSignalAsync(signal);
    }

    private async ValueTask FlushDeferredSignalsAsync()
    {
        while (deferredSignals.Count > 0 && !Suspended)
        {
            var signal = deferredSignals[0];
            deferredSignals.RemoveAt(0);
            await InvokeSignalAsync(signal);
        }
    }

    private async ValueTask ResumeAsync()
    {
        if (!Suspended)
        {
            return;
        }

        if (!HasStartedInstance)
        {
            // Nothing to resume: the instance never started. Stop rather than process mail with no instance.
            await StopSelfAsync(new InvalidOperationException($"Actor {Path} was resumed but never started."));
            return;
        }

        Suspended = false;
        await FlushDeferredSignalsAsync();
    }

    private async ValueTask RestartAsync(Exception cause)
    {
        if (isStopping)
        {
            return;
        }

        CancelTimers();
        if (HasStartedInstance)
        {
            await InvokePreRestartAsync(cause);
        }

        await StopChildrenAsync();
        System.Metrics.Restarted(Tags);
        if (await StartInstanceAsync())
        {
            KernelLog.Restarted(System.KernelLogger, Path);
            Suspended = false;
            await FlushDeferredSignalsAsync();
        }
    }

    private async ValueTask StopChildrenAsync()
    {
        ActorCell[] kids;
        lock (gate)
        {
            kids = [.. children.Values];
        }

        if (kids.Length == 0)
        {
            return;
        }

        foreach (var kid in kids)
        {
            kid.SendSystem(new StopCommand(null));
        }

        await Task.WhenAll(kids.Select(k => k.TerminatedTask));
        foreach (var history in restartHistories.Values)
        {
            history.CancelPending();
        }

        restartHistories.Clear();
        allForOneHistory.CancelPending();
    }

    private async ValueTask StopSelfAsync(Exception? cause)
    {
        if (loopDone)
        {
            return;
        }

        isStopping = true;
        CloseMailbox();
        CancelTimers();
        await StopChildrenAsync();
        if (HasStartedInstance)
        {
            await InvokePostStopAsync();
        }

        DrainMailboxAsDeadLetters();
        foreach (var other in watching)
        {
            other.RemoveWatcher(this);
        }

        watching.Clear();
        deferredSignals.Clear();
        ActorCell[] toNotify;
        lock (gate)
        {
            isTerminated = true;
            terminationCause = cause;
            toNotify = [.. watchers];
            watchers.Clear();
        }

        foreach (var watcher in toNotify)
        {
            watcher.SendSystem(new DeathNotice(this, cause));
        }

        foreach (var promise in pendingAsks.Keys)
        {
            promise.Fail(new ActorStoppedException($"Actor {Path} stopped before replying."));
        }

        pendingAsks.Clear();
        Parent?.OnChildTerminated(this);
        System.Unregister(this);
        systemQueue.Writer.TryComplete();
        loopDone = true;
        KernelLog.Stopped(System.KernelLogger, Path);
        terminatedSource.TrySetResult();
    }

    private void OnChildTerminated(ActorCell child)
    {
        lock (gate)
        {
            if (children.TryGetValue(child.Name, out var c) && ReferenceEquals(c, child))
            {
                children.Remove(child.Name);
            }
        }

        SendSystem(new ChildTerminated(child));
    }
}
