using System.Collections.Concurrent;
using System.Globalization;
using Corrosion.Actors.Internal;
using Microsoft.Extensions.Logging;

namespace Corrosion.Actors;

/// <summary>
/// A tree of actors under a user guardian, with one clock, one logger factory and one seeded Random.
/// A failure escalated past the guardian stops the whole system and is reported in <see cref="TerminationCause"/>.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> the kernel reports on.</summary>
    public const string MeterName = "Corrosion.Actors";

    private readonly ConcurrentDictionary<ActorCell, byte> cells = new();
    private readonly TaskCompletionSource terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Random random;
    private readonly Lock randomGate = new();
    private readonly ActorCell<GuardianActor.Nothing> guardian;
    private long tempCounter;
    private long deadLetters;
    private long dropped;
    private Exception? terminationCause;

    private ActorSystem(string name, ActorSystemOptions options)
    {
        Name = name;
        Options = options;
        Time = options.TimeProvider;
        LoggerFactory = options.LoggerFactory;
        KernelLogger = LoggerFactory.CreateLogger("Corrosion.Actors.Kernel");
        random = new Random(options.RandomSeed);
        Metrics = new ActorMetrics(this);
        var strategy = options.GuardianStrategy;
        guardian = new ActorCell<GuardianActor.Nothing>(
            this, null, "user", $"corrosion://{name}/user", () => new GuardianActor(strategy), MailboxOptions.Default);
        cells.TryAdd(guardian, 0);
        guardian.Start();
        _ = CompleteWhenGuardianStopsAsync();
    }

    /// <summary>The system's name, the authority part of every actor path.</summary>
    public string Name { get; }

    /// <summary>The options the system was created with.</summary>
    public ActorSystemOptions Options { get; }

    /// <summary>The clock of timers, backoff and ask timeouts.</summary>
    public TimeProvider Time { get; }

    /// <summary>The logger factory actors log through.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Completes when every actor has stopped.</summary>
    public Task WhenTerminated => terminated.Task;

    /// <summary>The failure that escalated to the root and stopped the system; null for a normal termination.</summary>
    public Exception? TerminationCause => Volatile.Read(ref terminationCause);

    /// <summary>Messages sent to stopped actors, plus late or duplicate ask replies, since the system started.</summary>
    public long DeadLetterCount => Interlocked.Read(ref deadLetters);

    /// <summary>Messages dropped by full mailboxes (DropOldest, DropNewest, timer ticks) since the system started.</summary>
    public long DroppedMessageCount => Interlocked.Read(ref dropped);

    internal ILogger KernelLogger { get; }

    internal ActorMetrics Metrics { get; }

    internal IEnumerable<ActorCell> LiveCells => cells.Keys;

    /// <summary>Creates and starts a system.</summary>
    /// <param name="name">Name used in actor paths (letters, digits, '-', '_', '.').</param>
    /// <param name="options">Clock, logging, seed and defaults; null for the defaults.</param>
    /// <returns>The running system.</returns>
    public static ActorSystem Create(string name, ActorSystemOptions? options = null)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"Invalid actor system name '{name}'.", nameof(name));
        }

        return new ActorSystem(name, options ?? new ActorSystemOptions());
    }

    /// <summary>Starts a top-level actor under the user guardian.</summary>
    /// <typeparam name="T">The actor's protocol.</typeparam>
    /// <param name="factory">Creates a fresh instance (again on every restart).</param>
    /// <param name="name">Unique among live top-level actors; no '/'.</param>
    /// <param name="mailbox">Mailbox options; default: <see cref="ActorSystemOptions.DefaultMailbox"/>.</param>
    /// <returns>The actor's reference.</returns>
    public ActorRef<T> Spawn<T>(Func<Actor<T>> factory, string name, MailboxOptions? mailbox = null)
        where T : notnull => guardian.SpawnChild(factory, name, mailbox);

    /// <summary>Stops an actor from outside (after its current message), children first. Stopping a stopped actor does nothing.</summary>
    /// <param name="actor">The actor to stop.</param>
    public void Stop(IActorRef actor) => CellOf(actor).SendSystem(new StopCommand(null));

    /// <summary>Completes when the actor has stopped (at once if it already has), after its PostStop and its children's.</summary>
    /// <param name="actor">The actor.</param>
    /// <returns>A task completing on termination.</returns>
    public Task WhenStopped(IActorRef actor) => CellOf(actor).TerminatedTask;

    /// <summary>Stops all actors, children before parents, each running PostStop; completes <see cref="WhenTerminated"/>.</summary>
    /// <returns><see cref="WhenTerminated"/>.</returns>
    public Task TerminateAsync()
    {
        guardian.SendSystem(new StopCommand(null));
        return WhenTerminated;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await TerminateAsync();

    /// <inheritdoc />
    public override string ToString() => $"corrosion://{Name}";

    internal string NextTempPath() =>
        string.Create(CultureInfo.InvariantCulture, $"corrosion://{Name}/temp/ask-{Interlocked.Increment(ref tempCounter)}");

    internal string NextProbePath(string? name) =>
        string.Create(CultureInfo.InvariantCulture, $"corrosion://{Name}/system/{name ?? "probe"}-{Interlocked.Increment(ref tempCounter)}");

    internal TimeSpan NextBackoff(SupervisorStrategy strategy, int restartsInWindow)
    {
        lock (randomGate)
        {
            return strategy.BackoffFor(restartsInWindow, random);
        }
    }

    internal void Register(ActorCell cell) => cells.TryAdd(cell, 0);

    internal void Unregister(ActorCell cell) => cells.TryRemove(cell, out _);

    internal void CountDeadLetter(KeyValuePair<string, object?>[] tags)
    {
        Interlocked.Increment(ref deadLetters);
        Metrics.DeadLetter(tags);
    }

    internal void CountDropped(KeyValuePair<string, object?>[] tags)
    {
        Interlocked.Increment(ref dropped);
        Metrics.Dropped(tags);
    }

    internal void OnRootFailure(Exception cause)
    {
        Interlocked.CompareExchange(ref terminationCause, cause, null);
        KernelLog.RootFailure(KernelLogger, Name, cause);
    }

    private static ActorCell CellOf(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return (actor as IInternalActorRef)?.Cell
            ?? throw new ArgumentException($"{actor.Path} is not an actor (asks and probes cannot be stopped or watched).", nameof(actor));
    }

    private async Task CompleteWhenGuardianStopsAsync()
    {
        await guardian.TerminatedTask;
        KernelLog.SystemTerminated(KernelLogger, Name);
        Metrics.Dispose();
        terminated.TrySetResult();
    }
}
