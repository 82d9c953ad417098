namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>Waits on a condition with the subscription tests' deadline (never a bare sleep).</summary>
internal static class Wait
{
    public static Task ForAsync(Func<bool> condition, string what) =>
        Support.Wait.UntilAsync(condition, what, SubscriptionHarness.Timeout);

    public static Task ForAsync(Func<Task<bool>> condition, string what) =>
        Support.Wait.UntilAsync(condition, what, SubscriptionHarness.Timeout);
}
