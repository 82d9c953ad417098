using Corrosion.Actors.Internal;
using Corrosion.Actors.TestKit;
using Microsoft.Extensions.Logging;

namespace Corrosion.Actors.Tests;

/// <summary>Hooks of a <see cref="ScriptedActor{T}"/>; each test writes only the ones it needs.</summary>
internal sealed record Script<T>
    where T : notnull
{
    public Func<ScriptedActor<T>, T, ValueTask> Receive { get; init; } = (_, _) => ValueTask.CompletedTask;

    public Func<ScriptedActor<T>, ValueTask>? PreStart { get; init; }

    public Func<ScriptedActor<T>, ValueTask>? PostStop { get; init; }

    public Func<ScriptedActor<T>, Exception, ValueTask>? PreRestart { get; init; }

    public Func<ScriptedActor<T>, Signal, ValueTask>? Signal { get; init; }

    public SupervisorStrategy? Strategy { get; init; }

    /// <summary>A factory numbering instances 1, 2, 3… so tests can see fresh instances after restarts.</summary>
    public Func<Actor<T>> Factory()
    {
        var incarnation = 0;
        return () => new ScriptedActor<T>(this, Interlocked.Increment(ref incarnation));
    }
}

internal sealed class ScriptedActor<T>(Script<T> script, int incarnation) : Actor<T>
    where T : notnull
{
    public int Incarnation { get; } = incarnation;

    /// <summary>Per-instance state, to tell a resumed instance from a fresh one.</summary>
    public int Counter { get; set; }

    public object? Stash { get; set; }

    public ActorContext<T> Ctx => Context;

    protected internal override SupervisorStrategy SupervisorStrategy => script.Strategy ?? base.SupervisorStrategy;

    protected internal override ValueTask OnReceive(T message) => script.Receive(this, message);

    protected internal override ValueTask PreStart() => script.PreStart?.Invoke(this) ?? ValueTask.CompletedTask;

    protected internal override ValueTask PostStop() => script.PostStop?.Invoke(this) ?? ValueTask.CompletedTask;

    protected internal override ValueTask PreRestart(Exception cause) =>
        script.PreRestart?.Invoke(this, cause) ?? ValueTask.CompletedTask;

    protected internal override ValueTask OnSignal(Signal signal) =>
        script.Signal?.Invoke(this, signal) ?? ValueTask.CompletedTask;
}

internal sealed class TestFailure(string message) : Exception(message);

internal static class Kit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static ActorSystem System(
        TimeProvider? time = null, SupervisorStrategy? guardian = null, ILoggerFactory? logging = null, int seed = 42)
    {
        var options = new ActorSystemOptions { RandomSeed = seed };
        if (time is not null)
        {
            options = options with { TimeProvider = time };
        }

        if (guardian is not null)
        {
            options = options with { GuardianStrategy = guardian };
        }

        if (logging is not null)
        {
            options = options with { LoggerFactory = logging };
        }

        return ActorSystem.Create("test-" + Guid.NewGuid().ToString("N")[..8], options);
    }

    /// <summary>Restart at once, unlimited: isolates restart semantics from backoff.</summary>
    public static SupervisorStrategy RestartAtOnce { get; } =
        SupervisorStrategy.OneForOne(minBackoff: TimeSpan.Zero, maxRestarts: -1);

    public static Task Terminated(IActorRef actor) => ((IInternalActorRef)actor).Cell!.TerminatedTask.WaitAsync(Deadline);

    /// <summary>Waits for a condition with a deadline (polling), for states no message reports.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }

    public static Task TimersArmed(ManualTimeProvider time, int count) =>
        Eventually(() => time.ActiveTimerCount == count, $"{count} active timer(s), have {time.ActiveTimerCount}");
}

/// <summary>Collects log entries for assertions.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly List<(LogLevel Level, EventId Id, string Text)> entries = [];

    public IReadOnlyList<(LogLevel Level, EventId Id, string Text)> Entries
    {
        get
        {
            lock (entries)
            {
                return [.. entries];
            }
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.entries)
            {
                owner.entries.Add((logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
