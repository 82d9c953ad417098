using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

using Corrosion.Bench.Replication;

namespace Corrosion.Bench;

/// <summary>
/// Idle footprint of one node: starts <c>corrosion agent</c> as a process (the embedded defaults,
/// with a scratch database and free ports), lets it sit idle, and reads its resident memory
/// (VmRSS, VmHWM) and the CPU time and context switches it used while idle from /proc.
/// With <c>--burst S</c>, 16 HTTP writers insert rows for S seconds first (issue 14's "RSS after 10 s of
/// 16 writers"), and the idle window that follows shows what the burst left behind.
/// With <c>--members N</c>, N agents join one cluster (all bootstrap from the first) and the figures are per member
/// (issue 14's "idle CPU per member, 10-member cluster"); a burst then goes to the first member.
/// Arguments: [seconds idle = 30] [--cli path/to/corrosion.dll, or a native corrosion executable (the NativeAOT publish)]
/// (default: this repository's Release build) [--burst seconds]
/// [--members N] [--settle seconds between start-up and the window: 5, or 15 with members].
/// A burst runs after the settle time; the window opens 5 s after the burst.
/// The agent inherits the environment, so runtime knobs (<c>DOTNET_*</c>) and settings
/// (<c>CORROSION_*</c>) can be compared run against run.
/// </summary>
internal static partial class IdleRssSuite
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var cliIndex = Array.IndexOf(args, "--cli");
        var cli = cliIndex >= 0 && cliIndex + 1 < args.Length ? Path.GetFullPath(args[cliIndex + 1]) : AgentProcess.DefaultCli();
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"idle-rss: {cli} does not exist; build it first (dotnet build -c Release src/Corrosion.Cli) or pass --cli");
            return 2;
        }

        var burstIndex = Array.IndexOf(args, "--burst");
        var burst = burstIndex >= 0 && burstIndex + 1 < args.Length ? int.Parse(args[burstIndex + 1], CultureInfo.InvariantCulture) : 0;
        var membersIndex = Array.IndexOf(args, "--members");
        var members = membersIndex >= 0 && membersIndex + 1 < args.Length ? int.Parse(args[membersIndex + 1], CultureInfo.InvariantCulture) : 1;
        var settleIndex = Array.IndexOf(args, "--settle");
        TimeSpan? settle = settleIndex >= 0 && settleIndex + 1 < args.Length ? TimeSpan.FromSeconds(int.Parse(args[settleIndex + 1], CultureInfo.InvariantCulture)) : null;
        return RunAsync(cli, seconds, burst, Math.Max(1, members), settle).GetAwaiter().GetResult();
    }

    private const int BurstWriters = 16;

    private static async Task<int> RunAsync(string cli, int seconds, int burstSeconds, int members, TimeSpan? settle)
    {
        using var dir = new BenchDirectory();
        var agents = new List<AgentProcess>();
        try
        {
            // Each member on its own gossip port (SWIM's UDP and the TCP transport share it); all join the first.
            var ports = Enumerable.Range(0, members).Select(_ => AgentProcess.FreePort()).ToList();
            for (var i = 0; i < members; i++)
            {
                var config = dir.File($"node{i}.conf");
                await File.WriteAllTextAsync(config, $"""
                    db.path = "{dir.File($"node{i}.db")}"
                    api.addr = "127.0.0.1:0"
                    gossip.addr = "127.0.0.1:{(members == 1 ? 0 : ports[i])}"
                    {(i == 0 ? "" : $"membership.bootstrap = [\"127.0.0.1:{ports[0]}\"]")}
                    """);
                agents.Add(AgentProcess.Start(cli, config, dir.Path));
            }

            var apis = await Task.WhenAll(agents.Select(a => a.Listening.WaitAsync(TimeSpan.FromSeconds(120))));
            var startTimes = await Task.WhenAll(agents.Select(a => a.StartedIn));
            // Start-up work (JIT, schema, first SWIM rounds, the join) settles before the idle window opens.
            // Tiered compilation goes on for a minute or so (a once-a-second path reaches its 30 calls
            // after 30 s): --settle 60 measures the steady state.
            await Task.Delay(settle ?? TimeSpan.FromSeconds(members == 1 ? 5 : 15));
            var burstLine = burstSeconds > 0 ? await BurstAsync(apis[0], burstSeconds, agents[0].Process.Id) : null;
            var before = agents.Select(a => Sample(a.Process.Id)).ToList();
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var after = agents.Select(a => Sample(a.Process.Id)).ToList();
            var rollups = agents.Select(a => Rollup(a.Process.Id)).ToList();
            var parts = agents.Select(a => Parts(a.Process.Id)).ToList();
            var elapsed = clock.Elapsed.TotalSeconds;
            var cpus = after.Select((x, i) => (x.CpuTicks - before[i].CpuTicks) / (double)ClockTicksPerSecond / elapsed * 100).ToList();
            var switches = after.Select((x, i) => (x.ContextSwitches - before[i].ContextSwitches) / elapsed).ToList();
            var what = members == 1 ? "one `corrosion agent`" : $"{members} `corrosion agent` processes in one cluster";
            Console.WriteLine($"## idle-rss: {what} on the embedded defaults ({cli}), idle for {seconds} s after start-up{(burstLine is null ? "" : $" and a {burstSeconds} s burst of {BurstWriters} writers")}");
            Console.WriteLine();
            if (burstLine is not null)
            {
                Console.WriteLine(burstLine);
            }

            if (members == 1)
            {
                Console.WriteLine($"- VmRSS at the end: {after[0].RssKiB / 1024.0:0.0} MiB; VmHWM (peak): {after[0].HwmKiB / 1024.0:0.0} MiB; threads: {after[0].Threads}");
                Console.WriteLine(FormattableString.Invariant($"- of the RSS: anonymous {rollups[0].AnonymousKiB / 1024.0:0.0} MiB, file-backed {(rollups[0].RssKiB - rollups[0].AnonymousKiB) / 1024.0:0.0} MiB; PSS {rollups[0].PssKiB / 1024.0:0.0} MiB"));
                Console.WriteLine($"- CPU while idle: {cpus[0]:0.00} % of one core; context switches: {switches[0]:0} /s");
                Console.WriteLine(FormattableString.Invariant($"- start: listening {startTimes[0].TotalSeconds:0.000} s after the process started"));
            }
            else
            {
                Console.WriteLine(FormattableString.Invariant($"- VmRSS per member at the end: median {Median(after.Select(x => x.RssKiB / 1024.0)):0.0} MiB, max {after.Max(x => x.RssKiB) / 1024.0:0.0} MiB; threads: median {Median(after.Select(x => (double)x.Threads)):0}"));
                Console.WriteLine(FormattableString.Invariant($"- of the RSS per member: anonymous median {Median(rollups.Select(x => x.AnonymousKiB / 1024.0)):0.0} MiB, file-backed median {Median(rollups.Select(x => (x.RssKiB - x.AnonymousKiB) / 1024.0)):0.0} MiB; PSS (shared pages divided among the members) median {Median(rollups.Select(x => x.PssKiB / 1024.0)):0.0} MiB"));
                Console.WriteLine(FormattableString.Invariant($"- CPU per member while idle: median {Median(cpus):0.00} %, max {cpus.Max():0.00} % of one core; context switches per member: median {Median(switches):0} /s"));
                Console.WriteLine(FormattableString.Invariant($"- start: listening after median {Median(startTimes.Select(t => t.TotalSeconds)):0.000} s, max {startTimes.Max().TotalSeconds:0.000} s (all {members} started at once)"));
            }

            // Where the resident memory is, median per member, by mapping (bench/RESULTS.md, "RSS per member, session 9").
            Console.WriteLine("- resident by mapping, median per member: " + string.Join(", ", parts.SelectMany(p => p.Keys).Distinct().Order(StringComparer.Ordinal)
                .Select(k => FormattableString.Invariant($"{k} {Median(parts.Select(p => p.GetValueOrDefault(k) / 1024.0)):0.0}"))) + " MiB");
            Console.WriteLine();
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>16 clients insert one row per request over HTTP for the given time; what they did and the RSS at the end.</summary>
    private static async Task<string> BurstAsync(Uri api, int seconds, int pid)
    {
        using var http = new HttpClient { BaseAddress = api };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var id = 0;
        var failed = 0;
        var latencies = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, BurstWriters).Select(async writer =>
        {
            var mine = new List<double>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    mine.Add(await HttpBench.TimedInsertAsync(http, $"burst-{writer}-{Interlocked.Increment(ref id)}"));
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
            }
        }));
        var end = Sample(pid);
        // The idle window that follows starts once the burst's own after-work (group commits, GC) settled.
        await Task.Delay(TimeSpan.FromSeconds(5));
        return FormattableString.Invariant(
            $"- burst: {latencies.Count:N0} inserts in {seconds} s ({latencies.Count / (double)seconds:N0}/s, {failed} failed), {Percentiles.Summary(latencies)}; VmRSS at its end {end.RssKiB / 1024.0:0.0} MiB");
    }


    // USER_HZ: 100 on Linux.
    private const int ClockTicksPerSecond = 100;

    /// <summary>The process's resident memory by kind (<c>/proc/PID/smaps_rollup</c>); zeros where the kernel has no rollup.</summary>
    private static (long RssKiB, long PssKiB, long AnonymousKiB) Rollup(int pid)
    {
        string rollup;
        try
        {
            rollup = File.ReadAllText($"/proc/{pid}/smaps_rollup");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return (0, 0, 0);
        }

        long Field(string name) => Regex.Match(rollup, $@"^{name}:\s+(\d+)", RegexOptions.Multiline) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return (Field("Rss"), Field("Pss"), Field("Anonymous"));
    }

    /// <summary>
    /// The process's resident KiB by kind of mapping (<c>/proc/PID/smaps</c>): the executable's code (r-x), read-only
    /// data (r--) and data (rw-), its zero-filled data (the anonymous mapping right after it: <c>.bss</c>, NativeAOT's
    /// <c>.hydrated</c> type data), other anonymous memory (the GC heap, thread stacks), the C heap and the shared libraries.
    /// </summary>
    private static Dictionary<string, long> Parts(int pid)
    {
        var parts = new Dictionary<string, long>(StringComparer.Ordinal);
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/smaps");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return parts;
        }

        var exe = "";
        try
        {
            exe = new FileInfo($"/proc/{pid}/exe").LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        string? kind = null;
        var previousWasExe = false;
        ulong previousEnd = 0;
        foreach (var line in lines)
        {
            var header = MappingHeader().Match(line);
            if (header.Success)
            {
                var start = ulong.Parse(header.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var perms = header.Groups[3].Value;
                var path = header.Groups[4].Value.Trim();
                var isExe = path.Length > 0 && path == exe;
                kind = isExe ? perms[..3] switch { "r-x" => "exe code", "rw-" => "exe data", _ => "exe rodata" }
                    : path.Length == 0 && previousWasExe && start == previousEnd ? "exe bss/hydrated"
                    : path.Length == 0 ? "anonymous"
                    : path == "[heap]" ? "C heap"
                    : path.Contains(".so", StringComparison.Ordinal) ? "libraries"
                    : "other";
                previousWasExe = isExe;
                previousEnd = ulong.Parse(header.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                continue;
            }

            if (kind is not null && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                parts[kind] = parts.GetValueOrDefault(kind) + long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return parts;
    }

    [GeneratedRegex(@"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")]
    private static partial Regex MappingHeader();

    private static (long RssKiB, long HwmKiB, int Threads, long CpuTicks, long ContextSwitches) Sample(int pid)
    {
        var status = File.ReadAllText($"/proc/{pid}/status");
        long Field(string name) => long.Parse(Regex.Match(status, $@"^{name}:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which may contain spaces): utime is the 14th field, stime the 15th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var cpu = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        var switches = Field("voluntary_ctxt_switches") + Field("nonvoluntary_ctxt_switches");
        var threads = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            threads++;
            if (task.EndsWith("/" + pid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                continue;
            }

            string taskStatus;
            try
            {
                taskStatus = File.ReadAllText(Path.Combine(task, "status"));
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                continue; // the thread ended since the listing (a thread-pool worker retiring)
            }

            switches += long.Parse(Regex.Match(taskStatus, @"^voluntary_ctxt_switches:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture)
                + long.Parse(Regex.Match(taskStatus, @"^nonvoluntary_ctxt_switches:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        }

        return (Field("VmRSS"), Field("VmHWM"), threads, cpu, switches);
    }
}
