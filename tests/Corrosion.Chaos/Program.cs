using System.CommandLine;
using System.Runtime.InteropServices;
using Corrosion.Chaos;
using Corrosion.Chaos.Network;
using Corrosion.Chaos.Repair;

// dotnet run -c Release --project tests/Corrosion.Chaos -- --writes 10000 --seed 42
// Repair after a heal (issue 12): dotnet run -c Release --project tests/Corrosion.Chaos -- --repair-runs 5 --partition 5..60 --nodes 3
var root = new RootCommand("Chaos test: 5 corrosion agents in network namespaces under partitions, kills, pauses, loss and duplication; checks that no acknowledged write is lost and that all nodes converge");
var defaults = new ChaosOptions();
var seed = new Option<int>("--seed") { Description = "seed of the fault plan and the clients' choices", DefaultValueFactory = _ => defaults.Seed };
var writes = new Option<int>("--writes") { Description = "acknowledged writes to reach (the run also lasts until every kind of fault happened once)", DefaultValueFactory = _ => defaults.Writes };
var clients = new Option<int>("--clients") { Description = "concurrent clients", DefaultValueFactory = _ => defaults.Clients };
var loss = new Option<int>("--loss") { Description = "percent of packets dropped on every link during the faults", DefaultValueFactory = _ => defaults.LossPercent };
var duplicate = new Option<int>("--duplicate") { Description = "percent of packets sent twice on every link during the faults", DefaultValueFactory = _ => defaults.DuplicatePercent };
var faultMin = new Option<double>("--fault-min") { Description = "shortest fault, seconds", DefaultValueFactory = _ => defaults.FaultMin.TotalSeconds };
var faultMax = new Option<double>("--fault-max") { Description = "longest fault, seconds", DefaultValueFactory = _ => defaults.FaultMax.TotalSeconds };
var calm = new Option<double>("--calm") { Description = "pause between faults, seconds", DefaultValueFactory = _ => defaults.Calm.TotalSeconds };
var shortRun = new Option<bool>("--short") { Description = "the short run of .ci/run (1000 writes, every fault once); other flags still apply on top" };
var nodeConfig = new Option<FileInfo?>("--node-config") { Description = "HOCON lines every node gets instead of the chaos tuning (faster sync and reconnect, small chunks)" };
var directory = new Option<string?>("--dir") { Description = "run directory (default: a new one under the temp folder)" };
var keep = new Option<bool>("--keep") { Description = "keep the run directory when the run passes (it is always kept when it fails)" };
var repairRuns = new Option<int>("--repair-runs") { Description = "measure repair after a heal instead of the chaos run: this many partitions (writes on both sides, heal, time until every node holds every version), then p50/p99/max" };
var partition = new Option<string>("--partition") { Description = "with --repair-runs: partition length range in seconds, e.g. 5..60", DefaultValueFactory = _ => "5..60" };
var nodes = new Option<int>("--nodes") { Description = "with --repair-runs: number of agents (the chaos run always uses 5)", DefaultValueFactory = _ => 5 };
var corrosionDll = new Option<FileInfo?>("--corrosion-dll") { Description = "the corrosion.dll the nodes run (default: the one built beside the harness), e.g. another build for a before/after" };
foreach (var option in new Option[] { seed, writes, clients, loss, duplicate, faultMin, faultMax, calm, shortRun, nodeConfig, directory, keep, repairRuns, partition, nodes, corrosionDll })
{
    root.Options.Add(option);
}

root.SetAction(async (parse, cancellationToken) =>
{
    if (parse.GetValue(repairRuns) > 0)
    {
        return await RepairAsync(parse, cancellationToken);
    }

    var options = parse.GetValue(shortRun) ? ChaosOptions.Short(parse.GetValue(seed)) : defaults;
    options = options with
    {
        Seed = parse.GetValue(seed),
        Writes = parse.GetResult(writes) is { Implicit: false } ? parse.GetValue(writes) : options.Writes,
        Clients = parse.GetValue(clients),
        LossPercent = parse.GetValue(loss),
        DuplicatePercent = parse.GetValue(duplicate),
        FaultMin = parse.GetResult(faultMin) is { Implicit: false } ? TimeSpan.FromSeconds(parse.GetValue(faultMin)) : options.FaultMin,
        FaultMax = parse.GetResult(faultMax) is { Implicit: false } ? TimeSpan.FromSeconds(parse.GetValue(faultMax)) : options.FaultMax,
        Calm = parse.GetResult(calm) is { Implicit: false } ? TimeSpan.FromSeconds(parse.GetValue(calm)) : options.Calm,
        Tuning = parse.GetValue(nodeConfig) is { } file ? await File.ReadAllTextAsync(file.FullName, cancellationToken) : options.Tuning,
        Directory = parse.GetValue(directory),
        KeepDirectory = parse.GetValue(keep),
    };

    var why = await Preflight.WhyNotAsync(cancellationToken);
    if (why is not null)
    {
        await Console.Error.WriteLineAsync("corrosion chaos: cannot run here: " + why);
        return 2;
    }

    // Ctrl+C and SIGTERM cancel the run, which then tears its namespaces and processes down.
    using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });
    using var run = new ChaosRun(options, Console.WriteLine);
    var report = await run.RunAsync(stop.Token);
    return report.Passed ? 0 : 1;
});

return await root.Parse(args).InvokeAsync();

async Task<int> RepairAsync(ParseResult parse, CancellationToken cancellationToken)
{
    TimeSpan min, max;
    try
    {
        (min, max) = RepairOptions.ParseRange(parse.GetValue(partition)!);
    }
    catch (FormatException e)
    {
        await Console.Error.WriteLineAsync("corrosion chaos: --partition: " + e.Message);
        return 2;
    }

    if (parse.GetValue(nodes) is < 2 or > 20)
    {
        await Console.Error.WriteLineAsync("corrosion chaos: --nodes must be between 2 and 20");
        return 2;
    }

    var options = new RepairOptions
    {
        Seed = parse.GetValue(seed),
        Nodes = parse.GetValue(nodes),
        Runs = parse.GetValue(repairRuns),
        PartitionMin = min,
        PartitionMax = max,
        Tuning = parse.GetValue(nodeConfig) is { } file ? await File.ReadAllTextAsync(file.FullName, cancellationToken) : string.Empty,
        Directory = parse.GetValue(directory),
        KeepDirectory = parse.GetValue(keep),
        CorrosionDll = parse.GetValue(corrosionDll)?.FullName ?? new RepairOptions().CorrosionDll,
    };
    var why = await Preflight.WhyNotAsync(cancellationToken);
    if (why is not null)
    {
        await Console.Error.WriteLineAsync("corrosion chaos: cannot run here: " + why);
        return 2;
    }

    using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });
    var report = await new RepairBench(options, Console.WriteLine).RunAsync(stop.Token);
    return report.Passed ? 0 : 1;
}
