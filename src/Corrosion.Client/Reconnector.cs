using System.Diagnostics;

namespace Corrosion.Client;

/// <summary>
/// Counts the re-attach attempts of one long-lived stream and waits between them. Attempt 1 is
/// immediate (a node that ended a slow subscriber's stream is ready at once); attempt <c>k</c> waits
/// <see cref="RetryPolicy.DelayBefore"/>(k - 1). The count starts again once a stream delivers an
/// event or stays up longer than the policy's longest delay, so a stream that is cut now and then
/// never runs out of attempts, while one that is cut right after every attach does.
/// </summary>
internal sealed class Reconnector(RetryPolicy policy, Random random, string what)
{
    private int _attempt;
    private long _attachedAt = Stopwatch.GetTimestamp();
    private bool _attached = true;

    /// <summary>A stream is attached: start timing it.</summary>
    public void Attached()
    {
        _attachedAt = Stopwatch.GetTimestamp();
        _attached = true;
    }

    /// <summary>The stream delivered an event: the node is healthy.</summary>
    public void Progressed() => _attempt = 0;

    /// <summary>The stream ended or broke, or an attempt failed: waits before the next attempt, or throws when they are used up.</summary>
    public async Task NextAttemptAsync(CorrosionException cause, CancellationToken cancellationToken)
    {
        if (_attached && Stopwatch.GetElapsedTime(_attachedAt) > policy.MaxDelay)
        {
            _attempt = 0;
        }

        _attached = false;

        _attempt++;
        if (_attempt > policy.MaxAttempts)
        {
            throw new CorrosionException(cause.StatusCode, $"{what}: gave up after {policy.MaxAttempts} attempts to re-attach: {cause.Message}", cause);
        }

        if (_attempt > 1)
        {
            await Task.Delay(policy.DelayBefore(_attempt - 1, random), cancellationToken);
        }
    }
}
