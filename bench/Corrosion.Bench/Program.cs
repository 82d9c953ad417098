// Benchmark harness entry: `dotnet run -c Release --project bench/Corrosion.Bench -- <suite> [options]`.
// Each suite owns its arguments; results go to bench/RESULTS.md.
using System.Globalization;
using Corrosion.Bench;
using Corrosion.Bench.Replication;
using Corrosion.Bench.Swim;

var suites = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["swim"] = SwimSuite.Run,
    // store [rows=20000] [--cpu] [--batch N] [--synchronous MODE] [--blocks N]: CRR vs plain SQLite inserts at 1/10/100 rows per transaction, merge throughput; --cpu adds process CPU time per transaction; --batch N measures only N rows per transaction and no merge (for a profile); --synchronous sets both sides' PRAGMA synchronous (default NORMAL);
    // --blocks N instead alternates N blocks of plain and CRR transactions in one process and gives the median of the per-block ratios of the writing thread's CPU time (as bench/crsqlite/overhead.mjs measures cr-sqlite). The databases go to the temp directory: TMPDIR=/dev/shm puts them on tmpfs.
    ["store"] = a =>
    {
        string? Option(string name) => Array.IndexOf(a, name) is var at and >= 0 && at + 1 < a.Length ? a[at + 1] : null;
        int? only = Option("--batch") is { } batch ? int.Parse(batch, CultureInfo.InvariantCulture) : null;
        var synchronous = Option("--synchronous") ?? "NORMAL";
        var valued = new[] { "--batch", "--synchronous", "--blocks" };
        var numbers = a.Where((x, i) => !x.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !valued.Contains(a[i - 1]))).ToArray();
        if (Option("--blocks") is { } blocks)
        {
            StoreBench.RunBlocks(Console.Out, int.Parse(blocks, CultureInfo.InvariantCulture), synchronous);
            return 0;
        }

        StoreBench.Run(Console.Out, rows: numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 20_000, cpu: a.Contains("--cpu"), only: only, synchronous: synchronous);
        return 0;
    },
    // store-alloc [transactions=20000]: bytes the store allocates per single-row transaction (insert by integer key, insert by text key, update), without and with a timeout.
    ["store-alloc"] = a =>
    {
        StoreBench.RunAllocations(Console.Out, a.Length > 0 ? int.Parse(a[0], CultureInfo.InvariantCulture) : 20_000);
        return 0;
    },
    // compaction [updates=100000] [rows=100]: bookkeeping growth of one-row updates of the same rows without and with compaction of cleared versions, and its cost.
    ["compaction"] = a =>
    {
        CompactionBench.Run(Console.Out, a.Length > 0 ? int.Parse(a[0], CultureInfo.InvariantCulture) : 100_000, a.Length > 1 ? int.Parse(a[1], CultureInfo.InvariantCulture) : 100);
        return 0;
    },
    // compaction-idle [versions=200000] [seconds=60] --cli path [--settle 10] [--write-every S] [--from-before] [--runs N]: an agent's CPU on a large database of live versions.
    ["compaction-idle"] = CompactionBench.RunIdle,
    ["propagation"] = PropagationSuite.Run,
    ["throughput"] = ThroughputSuite.Run,
    // sustained [seconds=15] [writers per node=4] [rows per tx=25] [nodes=3] [--cli path]: corrosion agent processes, rows/s accepted, time until every row is on every node.
    ["sustained"] = SustainedSuite.Run,
    ["wan"] = WanSuite.Run,
    // join [rows=200000] [rows per tx=200] [--cli PATH] [--writes ROWS/S] [--kill-at F] [--third]: agent A loaded with N rows, agent B starts empty and catches up by sync; time, rows/s, CPU, peak RSS, A's write/read latency meanwhile, content equal.
    ["join"] = JoinBench.Run,
    // propagation-processes [writes/s=50] [seconds=20] [sizes=3] [--warmup S] [--trace | --cli PATH]: one process per node (--cli: real `corrosion agent` processes, JIT or native), write → visible on every node.
    ["propagation-processes"] = PropagationSuite.RunProcesses,
    // kill-detection [members=10] [kills=5] [--cli PATH] [--settle S]: SIGKILL one agent at a time; time until every survivor says suspect / down.
    ["kill-detection"] = KillDetectionSuite.Run,
    ["replica-node"] = ProcessCluster.RunNode,
    // subscriptions [subscriptions=100] [writes/s=200] [seconds=15] [--separate-readers [--readers-nice N=19]] [--rounds R=3] [--warmup S=2]: write throughput with and without N live queries in R rounds of a phase of each (seconds long, ABBA, one node, the same writers; a warm-up of S s each first), the median ratio (--rounds 0: none, the latency phases only); write → event; --separate-readers puts the subscribers in a process of their own (at nice N in the throughput phases).
    ["subscriptions"] = SubscriptionBench.Run,
    // (internal) the subscribers' process of `subscriptions --separate-readers`.
    ["subscriptions-readers"] = SubscriptionBench.RunReaders,
    ["idle-rss"] = IdleRssSuite.Run,
    ["subscriptions-scale"] = LiveQueryScaleBench.Run,
    // subscriptions-fanout [subscriptions=100] [writes=2000]: per write, N keyed evaluations one by one vs on one snapshot.
    ["subscriptions-fanout"] = LiveQueryFanoutBench.Run,
    // subscription-file [subscriptions=100] [records=20000]: the subscription file's cost of recording one event (one updated row, its own transaction).
    ["subscription-file"] = SubscriptionFileBench.Run,
    // subscriptions-cluster [nodes=3] [writes/s=100] [seconds=15] [--processes | --cli PATH] [--warmup S]: write → event on every node's live query.
    ["subscriptions-cluster"] = SubscriptionClusterBench.Run,
    // http [requests] [wrk seconds] [db.checkpoint_pages] [--group-commit-only] [--cli PATH]: group commit off, then on; wrk when installed. Checkpoint pages 0 = SQLite's checkpoint inside the write; none given = the node's default (each build as shipped).
    // --group-commit-only skips the group-commit-off configuration (quicker runs while profiling); --cli measures an agent process of that CLI (the native executable: the node as shipped) instead of an in-process node.
    ["http"] = a =>
    {
        var groupCommitOnly = a.Contains("--group-commit-only");
        var cliAt = Array.IndexOf(a, "--cli");
        var cli = cliAt >= 0 && cliAt + 1 < a.Length ? a[cliAt + 1] : null;
        a = [.. a.Where((arg, i) => arg != "--group-commit-only" && (cliAt < 0 || (i != cliAt && i != cliAt + 1)))];
        var requests = a.Length > 0 ? int.Parse(a[0], CultureInfo.InvariantCulture) : 5_000;
        var wrkSeconds = a.Length > 1 ? int.Parse(a[1], CultureInfo.InvariantCulture) : 10;
        var checkpointPages = a.Length > 2 ? int.Parse(a[2], CultureInfo.InvariantCulture) : (int?)null;
        HttpBench.RunAsync(Console.Out, requests, wrkSeconds, checkpointPages, groupCommitOnly, cli).GetAwaiter().GetResult();
        return 0;
    },
    // akka-client [requests]: one insert over Akka.Remote vs HTTP, same node, same run; write → event via the Akka client vs the HTTP subscription.
    ["akka-client"] = a =>
    {
        AkkaClientBench.RunAsync(Console.Out, a.Length > 0 ? int.Parse(a[0], CultureInfo.InvariantCulture) : 5_000).GetAwaiter().GetResult();
        return 0;
    },
    // The single-node issue's figures in one run on one machine: store, then HTTP.
    ["single-node"] = _ =>
    {
        StoreBench.Run(Console.Out, rows: 20_000);
        HttpBench.RunAsync(Console.Out, requests: 3_000).GetAwaiter().GetResult();
        return 0;
    },
};

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: Corrosion.Bench <suite> [options]; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

return suite(args[1..]);
