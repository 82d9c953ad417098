using System.Threading.Channels;

namespace Corrosion.Actors.Internal;

/// <summary>The typed half of an actor: its bounded mailbox, its instance, context and timers.</summary>
internal sealed class ActorCell<T> : ActorCell, IMessageTarget<T>
    where T : notnull
{
    private readonly Func<Actor<T>> factory;
    private readonly Channel<Envelope<T>> mailbox;
    private readonly MailboxFullMode fullMode;
    private Actor<T>? instance;
    private bool started;

    public ActorCell(ActorSystem system, ActorCell? parent, string name, string path, Func<Actor<T>> factory, MailboxOptions options)
        : base(system, parent, name, path)
    {
        this.factory = factory;
        fullMode = options.FullMode;
        var channelOptions = new BoundedChannelOptions(options.Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
            // DropNewest means "drop the incoming message"; the channel waits and we drop on a failed TryWrite.
            FullMode = options.FullMode == MailboxFullMode.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
        };
        mailbox = options.FullMode == MailboxFullMode.DropOldest
            ? Channel.CreateBounded<Envelope<T>>(channelOptions, _ => OnDropped())
            : Channel.CreateBounded<Envelope<T>>(channelOptions);
        Self = new ActorRef<T>(this);
        Timers = new TimerScheduler<T>(this, system.Time);
        Context = new ActorContext<T>(this);
    }

    public ActorRef<T> Self { get; }

    public TimerScheduler<T> Timers { get; }

    public ActorContext<T> Context { get; }

    public override IActorRef SelfRef => Self;

    public override int MailboxDepth => mailbox.Reader.Count;

    ActorSystem IMessageTarget<T>.System => System;

    ActorCell? IMessageTarget<T>.Cell => this;

    protected override SupervisorStrategy CurrentStrategy => instance?.SupervisorStrategy ?? SupervisorStrategy.Default;

    protected override bool HasStartedInstance => started;

    public bool TryTell(T message)
    {
        if (mailbox.Writer.TryWrite(new Envelope<T>(message)))
        {
            return true;
        }

        OnRejected();
        return false;
    }

    public void Tell(T message)
    {
        var envelope = new Envelope<T>(message);
        if (mailbox.Writer.TryWrite(envelope))
        {
            return;
        }

        if (IsStopping || fullMode != MailboxFullMode.Wait)
        {
            OnRejected();
            return;
        }

        try
        {
            // Backpressure by contract: a Tell into a full Wait-mode mailbox blocks the caller until there is room.
            mailbox.Writer.WriteAsync(envelope).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            System.CountDeadLetter(Tags);
        }
    }

    public ValueTask<bool> TellAsync(T message, CancellationToken cancellationToken)
    {
        var envelope = new Envelope<T>(message);
        if (mailbox.Writer.TryWrite(envelope))
        {
            return ValueTask.FromResult(true);
        }

        if (IsStopping || fullMode != MailboxFullMode.Wait)
        {
            OnRejected();
            return ValueTask.FromResult(false);
        }

        return WaitAndWriteAsync(envelope, cancellationToken);
    }

    public void EnqueueTimerTick(T message, object key, long generation)
    {
        if (!mailbox.Writer.TryWrite(new Envelope<T>(message, key, generation)) && !IsStopping)
        {
            // Timers never block their thread: a tick finding the mailbox full is dropped and counted.
            OnDropped();
        }
    }

    protected override async ValueTask<bool> StartInstanceAsync()
    {
        started = false;
        try
        {
            instance = factory() ?? throw new InvalidOperationException($"The factory of {Path} returned null.");
            instance.Attach(Context);
            Context.AttachLogger(System.LoggerFactory, instance.GetType());
            await instance.PreStart();
            started = true;
            return true;
        }
        catch (Exception ex)
        {
            Fail(ex);
            return false;
        }
    }

    protected override async ValueTask<bool> TryProcessOneAsync()
    {
        if (!mailbox.Reader.TryRead(out var envelope))
        {
            return false;
        }

        if (envelope.TimerKey is not null && !Timers.Accept(envelope.TimerKey, envelope.TimerGeneration))
        {
            return true;
        }

        try
        {
            await instance!.OnReceive(envelope.Message);
            System.Metrics.Processed(Tags);
        }
        catch (Exception ex)
        {
            Fail(ex);
        }

        return true;
    }

    protected override Task<bool> WaitForMailAsync() => mailbox.Reader.WaitToReadAsync().AsTask();

    protected override void CloseMailbox() => mailbox.Writer.TryComplete();

    protected override void DrainMailboxAsDeadLetters()
    {
        while (mailbox.Reader.TryRead(out var envelope))
        {
            if (envelope.TimerKey is null)
            {
                System.CountDeadLetter(Tags);
            }
        }
    }

    protected override void CancelTimers() => Timers.CancelAll();

    protected override async ValueTask InvokePreRestartAsync(Exception cause)
    {
        try
        {
            await instance!.PreRestart(cause);
        }
        catch (Exception ex)
        {
            KernelLog.HookFailed(System.KernelLogger, nameof(Actor<T>.PreRestart), Path, ex);
        }
    }

    protected override async ValueTask InvokePostStopAsync()
    {
        try
        {
            await instance!.PostStop();
        }
        catch (Exception ex)
        {
            KernelLog.HookFailed(System.KernelLogger, nameof(Actor<T>.PostStop), Path, ex);
        }
    }

    protected override async ValueTask InvokeSignalAsync(Signal signal)
    {
        try
        {
            await instance!.OnSignal(signal);
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async ValueTask<bool> WaitAndWriteAsync(Envelope<T> envelope, CancellationToken cancellationToken)
    {
        try
        {
            await mailbox.Writer.WriteAsync(envelope, cancellationToken);
            return true;
        }
        catch (ChannelClosedException)
        {
            System.CountDeadLetter(Tags);
            return false;
        }
    }

    private void OnRejected()
    {
        if (IsStopping)
        {
            System.CountDeadLetter(Tags);
        }
        else if (fullMode == MailboxFullMode.DropNewest)
        {
            OnDropped();
        }
    }

    private void OnDropped() => System.CountDropped(Tags);
}
