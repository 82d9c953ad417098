namespace Corrosion.Agent.Node;

/// <summary>
/// How the node's actors ended: completed when <see cref="NodeSupervisor"/> has stopped, with the
/// failure that made it give up, or null for a normal stop.
/// </summary>
public sealed class NodeTermination
{
    private readonly TaskCompletionSource<Exception?> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _cause;

    /// <summary>Completes when the node's actors have stopped, with the cause (null after a normal stop).</summary>
    public Task<Exception?> WhenStopped => _stopped.Task;

    /// <summary>The failure that stopped the node, once known; null while running or after a normal stop.</summary>
    public Exception? Cause => Volatile.Read(ref _cause);

    internal void Fail(Exception cause) => Interlocked.CompareExchange(ref _cause, cause, null);

    internal void Stopped() => _stopped.TrySetResult(Cause);
}
