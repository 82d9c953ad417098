using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Scheduler;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Corrosion.Agent.Actors;

/// <summary>
/// Akka's scheduler on .NET timers (<c>akka.scheduler.implementation</c>): each scheduled tell or
/// action is a <see cref="TimeProvider"/> timer, so the process wakes only when something is due, at
/// that time. Akka's default, a hashed wheel, wakes every <c>akka.scheduler.tick-duration</c> (10 ms)
/// while any timer is pending, which a running node always has: that cost an idle node about three
/// times its CPU time and a wheel tick of extra latency on every timer (a subscription's 10 ms batch
/// window became 10-20 ms). As the wheel does, tells are wrapped so the receiving actor unwraps them,
/// and the tasks still pending when the system stops run once then.
/// </summary>
public sealed class TimerQueueScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Entry, byte> _pending = new();
    private readonly long _origin;
    private int _disposed;

    /// <summary>Created by Akka with the system's configuration and logger.</summary>
    /// <param name="scheduler">The system's configuration.</param>
    /// <param name="log">Where failing tasks are logged.</param>
    public TimerQueueScheduler(Config scheduler, ILoggingAdapter log)
        : this(scheduler, log, TimeProvider.System)
    {
    }

    /// <summary>Creates the scheduler on the given clock.</summary>
    /// <param name="scheduler">The system's configuration.</param>
    /// <param name="log">Where failing tasks are logged.</param>
    /// <param name="time">The clock whose timers fire the tasks.</param>
    public TimerQueueScheduler(Config scheduler, ILoggingAdapter log, TimeProvider time)
        : base(scheduler, log)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _origin = time.GetTimestamp();
    }

    /// <inheritdoc />
    public override TimeSpan MonotonicClock => _time.GetElapsedTime(_origin);

    /// <inheritdoc />
    public override TimeSpan HighResMonotonicClock => _time.GetElapsedTime(_origin);

    /// <summary>Tasks scheduled and not yet run or cancelled (a repeating one counts until cancelled).</summary>
    public int PendingCount => _pending.Count;

    /// <inheritdoc />
    protected override DateTimeOffset TimeNow => _time.GetUtcNow();

    /// <summary>Stops every timer, then runs once each task that was still pending (as Akka's own scheduler does).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var entry in _pending.Keys)
        {
            if (entry.Remove() && !entry.IsCancelled)
            {
                entry.Run();
            }
        }
    }

    /// <inheritdoc />
    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, new ScheduledTell(receiver, message, sender), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ScheduledTell(receiver, message, sender), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, new ActionRunnable(action), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, action, cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ActionRunnable(action), cancelable);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, IRunnable work, ICancelable? cancelable)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new SchedulerException("cannot schedule after the scheduler stopped");
        }

        if (cancelable?.IsCancellationRequested == true)
        {
            return;
        }

        var entry = new Entry(this, work, cancelable, repeating: interval != Timeout.InfiniteTimeSpan);
        _pending[entry] = 0;
        entry.Start(_time, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, interval);
    }

    /// <summary>One scheduled task and its timer.</summary>
    private sealed class Entry(TimerQueueScheduler owner, IRunnable work, ICancelable? cancelable, bool repeating)
    {
        private readonly Lock _gate = new();
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;
        private bool _removed;

        public bool IsCancelled => cancelable?.IsCancellationRequested == true;

        public void Start(TimeProvider time, TimeSpan delay, TimeSpan interval)
        {
            var timer = time.CreateTimer(static state => ((Entry)state!).Fire(), this, delay, interval);
            var registration = cancelable is null ? default : cancelable.Token.Register(static state => ((Entry)state!).Remove(), this);
            lock (_gate)
            {
                if (!_removed)
                {
                    _timer = timer;
                    _registration = registration;
                    return;
                }
            }

            // Fired (once) or cancelled before the timer was even kept.
            timer.Dispose();
            registration.Dispose();
        }

        /// <summary>Stops the timer; true for the one call that actually removed the entry.</summary>
        public bool Remove()
        {
            ITimer? timer;
            CancellationTokenRegistration registration;
            lock (_gate)
            {
                if (_removed)
                {
                    return false;
                }

                _removed = true;
                timer = _timer;
                registration = _registration;
            }

            owner._pending.TryRemove(this, out _);
            timer?.Dispose();
            registration.Dispose();
            return true;
        }

        public void Run()
        {
            try
            {
                work.Run();
            }
            catch (Exception e)
            {
                owner.Log.Error(e, "Exception while executing timer task.");
            }
        }

        private void Fire()
        {
            if (IsCancelled)
            {
                Remove();
                return;
            }

            if (!repeating && !Remove())
            {
                return;
            }

            Run();
        }
    }

    /// <summary>A scheduled tell, wrapped so the receiving actor cell unwraps it (as Akka's own scheduler does).</summary>
    private sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        private readonly object _message = receiver is ActorRefWithCell ? new ScheduledMessage(message) : message;

        public void Run() => receiver.Tell(_message, sender);

        public void Execute() => Run();
    }

    private sealed class ScheduledMessage(object message) : IScheduledTellMsg
    {
        public object Message { get; } = message;
    }
}
