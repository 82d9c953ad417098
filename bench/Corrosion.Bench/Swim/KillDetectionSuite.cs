using System.Diagnostics;
using System.Globalization;
using Corrosion.Bench.Replication;

namespace Corrosion.Bench.Swim;

/// <summary>
/// `kill-detection` suite (issue 14's "SIGKILL detection, 10 members, median"): N real <c>corrosion agent</c>
/// processes (<see cref="AgentCluster"/>, SWIM's LAN defaults), then K times: SIGKILL one member (never
/// the first, which the others bootstrap from), and time from the kill until each survivor's
/// <c>GET /v1/members</c> says it is <c>suspect</c> and <c>down</c> (each survivor polled every 50 ms); then the
/// member is started again on its database and port and the next kill waits until all N see each
/// other alive. Arguments: [members = 10] [kills = 5] [--cli path/to/corrosion.dll, or the NativeAOT
/// executable] [--settle S = 10: idle seconds after start-up and after each restart] [--config "HOCON": added to
/// every agent's configuration, e.g. <c>membership.refused_is_failed_probe = false</c> for the behaviour before
/// refusals counted]. Before each kill it prints the survivors' Lifeguard local health (a raised one stretches
/// their probe period and slows detection).
/// </summary>
internal static class KillDetectionSuite
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(60);

    public static int Run(string[] args)
    {
        string? cli = null;
        var settle = 10;
        string? config = null;
        var numbers = new List<int>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--cli" && i + 1 < args.Length)
            {
                cli = Path.GetFullPath(args[++i]);
            }
            else if (args[i] == "--config" && i + 1 < args.Length)
            {
                config = args[++i];
            }
            else if (args[i] == "--settle" && i + 1 < args.Length)
            {
                settle = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                numbers.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
            }
        }

        cli ??= AgentProcess.DefaultCli();
        var members = numbers.Count > 0 ? numbers[0] : 10;
        var kills = numbers.Count > 1 ? numbers[1] : 5;
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"kill-detection: {cli} does not exist; build it first (dotnet build -c Release src/Corrosion.Cli) or pass --cli");
            return 2;
        }

        if (members < 3 || kills < 1)
        {
            Console.Error.WriteLine("kill-detection: members must be at least 3 and kills at least 1");
            return 2;
        }

        return RunAsync(cli, members, kills, TimeSpan.FromSeconds(settle), config).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string cli, int members, int kills, TimeSpan settle, string? config)
    {
        await using var cluster = await AgentCluster.StartAsync(cli, members, config);
        await Task.Delay(settle);
        var down = new List<double>();
        var suspect = new List<double>();
        var firstDown = new List<double>();
        var lastDown = new List<double>();
        var missed = 0;
        Console.WriteLine($"## kill-detection: {members} `corrosion agent` processes ({Path.GetFileName(cli)}), SWIM LAN defaults{(config is null ? "" : $" with `{config}`")}, {kills} SIGKILLs, survivors polled every {Poll.TotalMilliseconds:0} ms");
        Console.WriteLine();
        for (var k = 0; k < kills; k++)
        {
            var victim = 1 + (k % (members - 1));
            var id = cluster.Ids[victim].ToString();
            var survivors = Enumerable.Range(0, members).Where(i => i != victim).ToList();
            var health = await Task.WhenAll(survivors.Select(s => LocalHealthAsync(cluster.Clients[s])));
            using var stop = new CancellationTokenSource(GiveUp);
            var killedAt = Stopwatch.GetTimestamp();
            var watchers = survivors.Select(s => WatchAsync(cluster.Clients[s], id, killedAt, stop.Token)).ToList();
            await cluster.KillAsync(victim);
            var seen = await Task.WhenAll(watchers);
            var downs = seen.Where(s => s.Down is not null).Select(s => s.Down!.Value).Order().ToList();
            var suspects = seen.Where(s => s.Suspect is not null).Select(s => s.Suspect!.Value).ToList();
            missed += seen.Length - downs.Count;
            down.AddRange(downs);
            suspect.AddRange(suspects);
            if (downs.Count > 0)
            {
                firstDown.Add(downs[0]);
                lastDown.Add(downs[^1]);
            }

            Console.WriteLine(FormattableString.Invariant(
                $"- kill {k + 1} (node {victim}; survivors' local health before: {string.Join(' ', health)}): suspect after {Describe(suspects)}; down after {Describe(downs)}{(downs.Count < seen.Length ? $"; {seen.Length - downs.Count} survivors did not see it down within {GiveUp.TotalSeconds:0} s" : "")}"));
            await cluster.RestartAsync(victim);
            await AgentCluster.WaitForMembersAsync(cluster.Clients, members, TimeSpan.FromSeconds(60));
            await Task.Delay(settle);
        }

        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"- **down, every (kill, survivor): median {Median(down):F2} s**, min {Min(down):F2} s, max {Max(down):F2} s (n = {down.Count}); suspect: median {Median(suspect):F2} s"));
        Console.WriteLine(FormattableString.Invariant($"- first survivor to see it down: median {Median(firstDown):F2} s; last survivor: median {Median(lastDown):F2} s; missed: {missed}"));
        Console.WriteLine();
        return missed == 0 ? 0 : 1;
    }

    /// <summary>The agent's Lifeguard local-health multiplier from <c>/metrics</c> ("?" if not found).</summary>
    private static async Task<string> LocalHealthAsync(HttpClient client)
    {
        try
        {
            var text = await client.GetStringAsync(new Uri("metrics", UriKind.Relative));
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("corrosion_membership_local_health", StringComparison.Ordinal));
            return line is null ? "?" : line[(line.LastIndexOf(' ') + 1)..];
        }
        catch (HttpRequestException)
        {
            return "?";
        }
    }

    /// <summary>Polls one survivor's member list until it says the member is down; seconds from the kill to suspect and to down (null: not seen).</summary>
    private static async Task<(double? Suspect, double? Down)> WatchAsync(HttpClient client, string id, long killedAt, CancellationToken stop)
    {
        double? suspect = null;
        try
        {
            while (true)
            {
                var states = await AgentCluster.MemberStatesAsync(client, stop);
                var seconds = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
                switch (states.GetValueOrDefault(id))
                {
                    case "suspect":
                        suspect ??= seconds;
                        break;
                    case "down" or "left":
                        return (suspect ?? seconds, seconds);
                }

                await Task.Delay(Poll, stop);
            }
        }
        catch (OperationCanceledException)
        {
            return (suspect, null);
        }
    }

    private static string Describe(List<double> seconds) => seconds.Count == 0
        ? "—"
        : FormattableString.Invariant($"{Min(seconds):F2}–{Max(seconds):F2} s (median {Median(seconds):F2} s)");

    private static double Min(List<double> values) => values.Count == 0 ? double.NaN : values.Min();

    private static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
