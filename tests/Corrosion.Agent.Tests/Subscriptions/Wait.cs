namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>Waits on a condition with a deadline (never a bare sleep).</summary>
internal static class Wait
{
    public static Task ForAsync(Func<bool> condition, string what) =>
        Support.Wait.UntilAsync(condition, what, SubscriptionHarness.Timeout);
}
