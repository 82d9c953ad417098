using System.Diagnostics;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>Waits on conditions with a deadline (never a bare sleep).</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(20);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? DefaultDeadline;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"not within {limit}: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task<T> WithinAsync<T>(Task<T> task, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? DefaultDeadline;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"not within {limit}: {what}");
        }

        return await task;
    }

    public static async Task WithinAsync(Task task, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? DefaultDeadline;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"not within {limit}: {what}");
        }

        await task;
    }
}
