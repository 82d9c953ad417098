using System.Diagnostics;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// A sync session's deadline that moves with its progress: the session is cancelled when no frame moved for
/// <c>session_timeout</c>, however long the whole session runs (a fresh node pulling a large database streams for
/// minutes). The deadline is pushed back at most once a second, so a frame costs no timer change.
/// </summary>
internal sealed class SessionProgress
{
    private readonly CancellationTokenSource _deadline;
    private readonly TimeSpan _timeout;
    private long _pushedAt;

    /// <summary>Starts the deadline: <paramref name="timeout"/> from now.</summary>
    public SessionProgress(CancellationTokenSource deadline, TimeSpan timeout)
    {
        _deadline = deadline;
        _timeout = timeout;
        _pushedAt = Stopwatch.GetTimestamp();
        deadline.CancelAfter(timeout);
    }

    /// <summary>A frame moved: the deadline is <c>timeout</c> from now (to within a second).</summary>
    public void Moved()
    {
        var now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(_pushedAt, now) < TimeSpan.FromSeconds(1) && _timeout > TimeSpan.FromSeconds(1))
        {
            return;
        }

        _pushedAt = now;
        try
        {
            if (!_deadline.IsCancellationRequested)
            {
                _deadline.CancelAfter(_timeout);
            }
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile.
        }
    }
}
