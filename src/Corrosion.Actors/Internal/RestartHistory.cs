namespace Corrosion.Actors.Internal;

/// <summary>Recent restarts of one child (one-for-one) or of all children (all-for-one). Touched only by the supervisor's loop.</summary>
internal sealed class RestartHistory
{
    private readonly Queue<DateTimeOffset> restarts = new();

    public int CountWithin(DateTimeOffset now, TimeSpan window)
    {
        while (restarts.Count > 0 && now - restarts.Peek() >= window)
        {
            restarts.Dequeue();
        }

        return restarts.Count;
    }

    public void Record(DateTimeOffset now) => restarts.Enqueue(now);

    /// <summary>A restart is scheduled and not yet sent; further failures of the same targets wait for it.</summary>
    public ITimer? PendingTimer { get; set; }

    public bool IsPending { get; set; }

    public void CancelPending()
    {
        PendingTimer?.Dispose();
        PendingTimer = null;
        IsPending = false;
    }
}
