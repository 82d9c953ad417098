namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>Waits on a condition with a deadline (never a bare sleep).</summary>
internal static class Wait
{
    public static Task ForAsync(Func<bool> condition, string what) =>
        Support.Wait.UntilAsync(condition, what, SubscriptionHarness.Timeout);

    public static async Task ForAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + SubscriptionHarness.Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(10);
        }
    }
}
