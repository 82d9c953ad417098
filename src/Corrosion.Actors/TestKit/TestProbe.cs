using System.Threading.Channels;
using Corrosion.Actors.Internal;

namespace Corrosion.Actors.TestKit;

/// <summary>
/// A reference that records what it receives, with expectations that wait on the wall clock (not the system's
/// TimeProvider), so tests on virtual time still have real deadlines.
/// </summary>
/// <typeparam name="T">The messages the probe accepts.</typeparam>
public sealed class TestProbe<T> : IMessageTarget<T>
    where T : notnull
{
    /// <summary>Wait used when an expectation gives no timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<T> received = Channel.CreateUnbounded<T>();

    /// <summary>Creates a probe in <paramref name="system"/>.</summary>
    /// <param name="system">The system whose asks and paths the probe uses.</param>
    /// <param name="name">Optional name, part of the probe's path.</param>
    public TestProbe(ActorSystem system, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        System = system;
        Path = system.NextProbePath(name);
        Ref = new ActorRef<T>(this);
    }

    /// <summary>The reference to hand to actors.</summary>
    public ActorRef<T> Ref { get; }

    /// <summary>The probe's path.</summary>
    public string Path { get; }

    /// <summary>The system the probe belongs to.</summary>
    public ActorSystem System { get; }

    ActorCell? IMessageTarget<T>.Cell => null;

    /// <summary>Messages received and not yet taken by an expectation.</summary>
    public int PendingCount => received.Reader.Count;

    /// <summary>Waits for the next message and checks it is a <typeparamref name="TSub"/>.</summary>
    /// <typeparam name="TSub">The expected type.</typeparam>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>The message.</returns>
    public TSub ExpectMessage<TSub>(TimeSpan? timeout = null)
        where TSub : T => ExpectMessageAsync<TSub>(timeout).GetAwaiter().GetResult();

    /// <summary>Waits for the next message and checks it satisfies <paramref name="predicate"/>.</summary>
    /// <param name="predicate">The condition.</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>The message.</returns>
    public T ExpectMessage(Func<T, bool> predicate, TimeSpan? timeout = null) =>
        ExpectMessageAsync(predicate, timeout).GetAwaiter().GetResult();

    /// <summary>Checks that no message arrives for <paramref name="duration"/>.</summary>
    /// <param name="duration">How long to watch.</param>
    public void ExpectNoMessage(TimeSpan duration) => ExpectNoMessageAsync(duration).GetAwaiter().GetResult();

    /// <summary>Skips messages until one satisfies <paramref name="predicate"/>.</summary>
    /// <param name="predicate">The condition.</param>
    /// <param name="timeout">Overall deadline.</param>
    /// <returns>The first matching message.</returns>
    public T FishForMessage(Func<T, bool> predicate, TimeSpan timeout) =>
        FishForMessageAsync(predicate, timeout).GetAwaiter().GetResult();

    /// <summary>Waits for the next message, whatever it is.</summary>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>The message.</returns>
    public T ReceiveMessage(TimeSpan? timeout = null) => ReceiveMessageAsync(timeout).GetAwaiter().GetResult();

    /// <summary>Async form of <see cref="ExpectMessage{TSub}(TimeSpan?)"/>.</summary>
    /// <typeparam name="TSub">The expected type.</typeparam>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The message.</returns>
    public async Task<TSub> ExpectMessageAsync<TSub>(TimeSpan? timeout = null)
        where TSub : T
    {
        var message = await ReceiveMessageAsync(timeout);
        return message is TSub sub
            ? sub
            : throw new TestProbeException($"{Path} expected a {typeof(TSub).Name} but received {message}.");
    }

    /// <summary>Async form of <see cref="ExpectMessage(Func{T, bool}, TimeSpan?)"/>.</summary>
    /// <param name="predicate">The condition.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The message.</returns>
    public async Task<T> ExpectMessageAsync(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var message = await ReceiveMessageAsync(timeout);
        return predicate(message)
            ? message
            : throw new TestProbeException($"{Path} received {message}, which does not satisfy the condition.");
    }

    /// <summary>Async form of <see cref="ExpectNoMessage"/>.</summary>
    /// <param name="duration">How long to watch.</param>
    /// <returns>Completes after the duration.</returns>
    public async Task ExpectNoMessageAsync(TimeSpan duration)
    {
        using var cts = new CancellationTokenSource(duration);
        try
        {
            var message = await received.Reader.ReadAsync(cts.Token);
            throw new TestProbeException($"{Path} expected no message but received {message}.");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
    }

    /// <summary>Async form of <see cref="FishForMessage"/>.</summary>
    /// <param name="predicate">The condition.</param>
    /// <param name="timeout">Overall deadline.</param>
    /// <returns>The first matching message.</returns>
    public async Task<T> FishForMessageAsync(Func<T, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await received.Reader.ReadAsync(cts.Token);
                if (predicate(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TestProbeException($"{Path} received no matching message within {timeout}.");
        }
    }

    /// <summary>Async form of <see cref="ReceiveMessage"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The message.</returns>
    public async Task<T> ReceiveMessageAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TestProbeException($"{Path} received no message within {wait}.");
        }
    }

    bool IMessageTarget<T>.TryTell(T message) => received.Writer.TryWrite(message);

    void IMessageTarget<T>.Tell(T message) => received.Writer.TryWrite(message);

    ValueTask<bool> IMessageTarget<T>.TellAsync(T message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(received.Writer.TryWrite(message));
}
