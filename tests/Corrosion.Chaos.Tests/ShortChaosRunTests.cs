using System.Diagnostics;
using Corrosion.Chaos.Checking;
using Corrosion.Chaos.Nemesis;
using Corrosion.Chaos.Network;
using Xunit.Abstractions;

namespace Corrosion.Chaos.Tests;

/// <summary>
/// The short seeded chaos run of <c>.ci/run</c>: five real agents in network namespaces, every kind
/// of fault once under 10 % loss and 5 % duplication, then the checker. Needs root, <c>ip</c> and
/// <c>nft</c> (CI runs as root and <c>.ci/run</c> installs iproute2 and nftables); elsewhere it is
/// skipped with the reason.
/// </summary>
[Collection(ChaosNetworkCollection.Name)]
public sealed class ShortChaosRunTests(ITestOutputHelper output)
{
    public const int Seed = 15;

    [SkippableFact]
    public async Task A_short_seeded_run_under_every_fault_loses_no_acknowledged_write_and_converges()
    {
        var why = await Preflight.WhyNotAsync(CancellationToken.None);
        Skip.If(why is not null, why);
        var options = ChaosOptions.Short(Seed);

        using var run = new ChaosRun(options, output.WriteLine);
        var report = await run.RunAsync(CancellationToken.None);

        Assert.True(report.Error is null, report.ToString());
        Assert.True(report.Check!.Passed, report.ToString());
        Assert.True(report.Check.Acknowledged >= options.Writes, report.ToString());
        Assert.True(report.FaultsApplied >= Enum.GetValues<FaultKind>().Length, report.ToString());
        Assert.NotNull(report.ConvergedAfter);
        Assert.True(report.Check.CountOf(AnomalyKind.LostWrite) == 0 && report.Check.Lost == 0);

        // Every namespace (and with it every nft table and process) of this run is gone.
        var left = await Shell.RunAsync("ip", ["netns", "list"]);
        Assert.DoesNotContain($"{ChaosNetwork.Prefix}{Environment.ProcessId}-", left.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Namespaces_and_processes_left_by_a_run_that_is_gone_are_removed()
    {
        var why = await Preflight.WhyNotAsync(CancellationToken.None);
        Skip.If(why is not null, why);
        int deadOwner;
        using (var gone = Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            deadOwner = gone.Id;
        }

        var name = $"{ChaosNetwork.Prefix}{deadOwner}-n0";
        await Shell.RunCheckedAsync("ip", ["netns", "add", name]);
        using var orphan = Process.Start("ip", ["netns", "exec", name, "sleep", "300"]);
        await WaitForAsync(async () => (await Shell.RunAsync("ip", ["netns", "pids", name])).Stdout.Trim().Length > 0);

        await ChaosNetwork.RemoveStaleAsync(output.WriteLine, CancellationToken.None);

        var left = await Shell.RunAsync("ip", ["netns", "list"]);
        Assert.DoesNotContain(name, left.Stdout, StringComparison.Ordinal);
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await orphan.WaitForExitAsync(exited.Token);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}

/// <summary>Tests that build namespaces run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosNetworkCollection
{
    public const string Name = "chaos network";
}
