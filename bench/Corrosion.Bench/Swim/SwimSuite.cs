using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Membership;
using Corrosion.Simulation;
using Corrosion.Simulation.Membership;

namespace Corrosion.Bench.Swim;

/// <summary>
/// SWIM on the simulator: time to detect a crash at several cluster sizes, false downs under loss and a
/// slow node with Lifeguard on and off, and message rates. A crash is either silent (the host is gone: nothing
/// answers) or refused (the process died on a live host: its host answers ICMP port unreachable, which
/// <c>membership.refused_is_failed_probe</c> turns into a failed probe at once). Options: <c>--sizes 10,100,1000</c>,
/// <c>--quick</c> (smaller runs), <c>--seed N</c>, <c>--crashes N</c> (per size and kind of crash), <c>--detection-only</c>.
/// </summary>
internal static class SwimSuite
{
    public static int Run(string[] args)
    {
        var sizes = new[] { 10, 100, 1000 };
        var quick = args.Contains("--quick");
        var seed = 42;
        int? crashes = null;
        var detectionOnly = args.Contains("--detection-only");
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--sizes")
            {
                sizes = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            }
            else if (args[i] == "--crashes")
            {
                crashes = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--seed")
            {
                seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
        }

        Console.WriteLine($"# swim suite (seed {seed}{(quick ? ", quick" : string.Empty)}) on {Environment.ProcessorCount} cores, {Environment.OSVersion}");
        Console.WriteLine();
        Console.WriteLine("## Time to detection, LAN profile, Lifeguard on (virtual time)");
        Console.WriteLine();
        Console.WriteLine("| nodes | crash | crashes | first suspect median | first down median | first down p99 | all down median | all down p99 | suspicion min | msgs/node/s steady | msgs/node/s during | wall |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var n in sizes)
        {
            foreach (var refuse in new[] { false, true })
            {
                Detection(n, quick, seed, crashes, refuse);
            }
        }

        if (detectionOnly)
        {
            return 0;
        }

        Console.WriteLine();
        Console.WriteLine("## False downs: 10% loss, one slow node (every packet and timer handled late by a uniform draw), LAN profile");
        Console.WriteLine();
        Console.WriteLine("| nodes | slow node delay | lifeguard | virtual s | false downs (all observers) | suspect notifications (all observers) | downs of slow node | max LHM | msgs/node/s | wall |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var n in sizes.Where(s => s >= 10))
        {
            foreach (var slowMax in new[] { 1_200, 3_000 })
            {
                foreach (var lifeguard in new[] { true, false })
                {
                    FalsePositives(n, new LatencyDistribution(slowMax / 6, slowMax), lifeguard, quick, seed);
                }
            }
        }

        return 0;
    }

    private static void Detection(int n, bool quick, int seed, int? crashCount, bool refuse)
    {
        var wall = Stopwatch.StartNew();
        var first = new List<double>();
        var firstSuspect = new List<double>();
        var all = new List<double>();
        var crashes = crashCount ?? (quick ? 3 : n >= 1000 ? 10 : 20);
        var perRun = n >= 1000 ? crashes : Math.Min(crashes, Math.Max(1, n / 5));
        double steadyRate = 0, duringRate = 0;
        long suspicionMin = 0;
        var runs = 0;
        for (var run = 0; first.Count < crashes; run++)
        {
            using var cluster = new SwimCluster(seed + run, n, SwimOptions.Lan) { CrashedNodesRefuse = refuse };
            cluster.Log.KeepLines = false;
            cluster.StartConverged();
            cluster.RunFor(10_000);
            var sentBefore = cluster.Network.Sent;
            cluster.RunFor(10_000);
            steadyRate += (cluster.Network.Sent - sentBefore) / (double)n / 10.0;
            runs++;

            var rng = new Random(seed * 31 + run);
            var victims = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(Math.Min(perRun, crashes - first.Count)).ToList();
            var crashAt = new Dictionary<int, long>();
            var downSeen = new Dictionary<int, HashSet<int>>();
            var firstAt = new Dictionary<int, long>();
            var allAt = new Dictionary<int, long>();
            var suspectAt = new Dictionary<int, long>();
            cluster.OnNotification = note =>
            {
                if (note.Kind == MemberNotificationKind.MemberSuspect && crashAt.ContainsKey(note.Subject))
                {
                    suspectAt.TryAdd(note.Subject, note.TimeMs);
                }

                if (note.Kind != MemberNotificationKind.MemberDown || !crashAt.ContainsKey(note.Subject))
                {
                    return;
                }

                firstAt.TryAdd(note.Subject, note.TimeMs);
                var seen = downSeen[note.Subject];
                seen.Add(note.Observer);
                if (seen.Count >= n - victims.Count)
                {
                    allAt.TryAdd(note.Subject, note.TimeMs);
                }
            };

            // Crashes spread over 20 s so that detections overlap as in a real incident, not in lockstep.
            var start = cluster.NowMs;
            sentBefore = cluster.Network.Sent;
            foreach (var v in victims)
            {
                var at = start + rng.Next(20_000);
                downSeen[v] = [];
                cluster.Scheduler.At(at, () =>
                {
                    crashAt[v] = cluster.NowMs;
                    cluster.Crash(v);
                });
            }

            cluster.RunUntil(() => allAt.Count == victims.Count, 200_000);
            duringRate += (cluster.Network.Sent - sentBefore) / (double)(n - victims.Count) / ((cluster.NowMs - start) / 1000.0);
            suspicionMin = (long)(SwimOptions.Lan.SuspicionMult * Math.Max(1, Math.Log10(n)) * SwimOptions.Lan.ProbeIntervalMs);
            foreach (var v in victims)
            {
                first.Add(firstAt.TryGetValue(v, out var f) ? f - crashAt[v] : double.NaN);
                firstSuspect.Add(suspectAt.TryGetValue(v, out var fs) ? fs - crashAt[v] : double.NaN);
                all.Add(allAt.TryGetValue(v, out var a) ? a - crashAt[v] : double.NaN);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {(refuse ? "refused" : "silent")} | {first.Count} | {S(Percentile(firstSuspect, 50))} | {S(Percentile(first, 50))} | {S(Percentile(first, 99))} | {S(Percentile(all, 50))} | {S(Percentile(all, 99))} | {suspicionMin / 1000.0:0.0} s | {steadyRate / runs:0.0} | {duringRate / runs:0.0} | {wall.Elapsed.TotalSeconds:0} s |"));
    }

    private static void FalsePositives(int n, LatencyDistribution slowDelay, bool lifeguard, bool quick, int seed)
    {
        var wall = Stopwatch.StartNew();
        var options = SwimOptions.Lan with { LifeguardEnabled = lifeguard };
        using var cluster = new SwimCluster(seed, n, options);
        cluster.Log.KeepLines = false;
        cluster.StartConverged();
        cluster.RunFor(5_000);
        var slow = n / 2;
        long falseDowns = 0, falseSuspicions = 0, slowDowns = 0;
        var maxLhm = 0;
        cluster.OnNotification = note =>
        {
            if (note.Kind == MemberNotificationKind.MemberDown)
            {
                falseDowns++;
                slowDowns += note.Subject == slow ? 1 : 0;
            }
            else if (note.Kind == MemberNotificationKind.MemberSuspect)
            {
                falseSuspicions++;
            }
        };
        cluster.Network.LossRate = 0.10;
        cluster.SetSlow(slow, slowDelay);
        var seconds = quick || n >= 1000 ? 60 : 300;
        var sentBefore = cluster.Network.Sent;
        for (var t = 0; t < seconds; t++)
        {
            cluster.RunFor(1_000);
            for (var i = 0; i < n; i++)
            {
                maxLhm = Math.Max(maxLhm, cluster.Core(i).LocalHealth);
            }
        }

        var rate = (cluster.Network.Sent - sentBefore) / (double)n / seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {slowDelay.MinMs}-{slowDelay.MaxMs} ms | {(lifeguard ? "on" : "off")} | {seconds} | {falseDowns} | {falseSuspicions} | {slowDowns} | {maxLhm} | {rate:0.0} | {wall.Elapsed.TotalSeconds:0} s |"));
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static string S(double ms) => double.IsNaN(ms) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.00} s");
}
