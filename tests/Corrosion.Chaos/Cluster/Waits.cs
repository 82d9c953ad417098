namespace Corrosion.Chaos.Cluster;

/// <summary>Polls a condition until it holds or a deadline passes (every loop in the harness is bounded).</summary>
public static class Waits
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task UntilAsync(Func<CancellationToken, Task<bool>> condition, string what, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await condition(cancellationToken))
            {
                return;
            }

            if (DateTime.UtcNow >= until)
            {
                throw new TimeoutException($"no {what} within {deadline}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
