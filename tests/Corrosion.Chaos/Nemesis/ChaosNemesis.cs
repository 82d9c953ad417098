using System.Globalization;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Network;

namespace Corrosion.Chaos.Nemesis;

/// <summary>
/// Runs a <see cref="NemesisPlan"/> against the cluster: partitions through nftables drop rules,
/// SIGKILL and restart, SIGSTOP/SIGCONT, loss bursts; between faults every link keeps the baseline
/// loss and duplication. <see cref="HealAllAsync"/> is the final heal: clean links, every node
/// running.
/// </summary>
public sealed class ChaosNemesis(ChaosCluster cluster, NemesisOptions options, Action<string> log)
{
    private readonly List<string> _events = [];
    private readonly Lock _gate = new();

    /// <summary>The faults applied and healed, with times relative to the nemesis's start.</summary>
    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToList();
            }
        }
    }

    /// <summary>Steps completed (applied and healed).</summary>
    public int StepsDone { get; private set; }

    /// <summary>Every kind of fault has been applied and healed at least once.</summary>
    public bool RoundDone => StepsDone >= Enum.GetValues<FaultKind>().Length;

    public DateTime Started { get; private set; }

    /// <summary>Applies the baseline (loss and duplication on every link).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Started = DateTime.UtcNow;
        await ApplyNetworkAsync([], options.LossPercent, cancellationToken);
        Record($"baseline: {options.LossPercent} % loss, {options.DuplicatePercent} % duplication on every link");
    }

    /// <summary>Runs steps until <paramref name="stop"/> holds after a step, or the plan ends.</summary>
    public async Task RunAsync(IReadOnlyList<FaultStep> plan, Func<bool> stop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var step in plan)
        {
            if (stop())
            {
                return;
            }

            await ApplyAsync(step, cancellationToken);
            await Task.Delay(step.Duration, cancellationToken);
            await HealAsync(step, cancellationToken);
            StepsDone++;
            await Task.Delay(step.Calm, cancellationToken);
        }
    }

    private async Task ApplyAsync(FaultStep step, CancellationToken cancellationToken)
    {
        Record($"apply {step}");
        switch (step.Kind)
        {
            case FaultKind.PartitionHalves:
            case FaultKind.IsolateOne:
            case FaultKind.Bridge:
                await ApplyNetworkAsync(step.Groups, options.LossPercent, cancellationToken);
                break;
            case FaultKind.HeavyLoss:
                await ApplyNetworkAsync([], NemesisPlan.HeavyLossPercent, cancellationToken);
                break;
            case FaultKind.KillRestart:
                await Task.WhenAll(step.Victims.Select(v => cluster.Nodes[v].KillAsync()));
                break;
            case FaultKind.Pause:
                foreach (var victim in step.Victims)
                {
                    cluster.Nodes[victim].Pause();
                }

                break;
            case FaultKind.IsolateAndKill:
                await ApplyNetworkAsync(step.Groups, options.LossPercent, cancellationToken);
                await Task.WhenAll(step.Victims.Select(v => cluster.Nodes[v].KillAsync()));
                break;
        }
    }

    private async Task HealAsync(FaultStep step, CancellationToken cancellationToken)
    {
        if (step.Groups.Count > 0 || step.Kind == FaultKind.HeavyLoss)
        {
            await ApplyNetworkAsync([], options.LossPercent, cancellationToken);
        }

        await ResumeOrRestartAsync(step.Victims.Select(v => cluster.Nodes[v]), cancellationToken);
        Record($"healed #{step.Number}");
    }

    /// <summary>SIGCONT for paused nodes; killed (or crashed) ones start again, all at once, on their databases.</summary>
    private Task ResumeOrRestartAsync(IEnumerable<ChaosNode> nodes, CancellationToken cancellationToken)
    {
        var restarts = new List<Task>();
        foreach (var node in nodes)
        {
            node.Resume();
            if (node.State is NodeState.Killed or NodeState.Crashed)
            {
                restarts.Add(RestartAsync(node, cancellationToken));
            }
        }

        return Task.WhenAll(restarts);
    }

    private async Task RestartAsync(ChaosNode node, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        await node.StartAsync(options.StartDeadline, cancellationToken);
        Record(string.Create(CultureInfo.InvariantCulture, $"node {node.Index} restarted (listening after {(DateTime.UtcNow - started).TotalSeconds:F1} s)"));
    }

    /// <summary>The final heal: clean links (no loss, no duplication, no partition), every node resumed or restarted.</summary>
    public async Task HealAllAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Enumerable.Range(0, cluster.Nodes.Count).Select(i => cluster.Network.ApplyAsync(i, LinkFaults.None, cancellationToken)));

        await ResumeOrRestartAsync(cluster.Nodes, cancellationToken);
        Record("final heal: clean links, every node running");
    }

    private async Task ApplyNetworkAsync(IReadOnlyList<IReadOnlyList<int>> groups, int lossPercent, CancellationToken cancellationToken)
    {
        var unreachable = NemesisPlan.Unreachable(cluster.Nodes.Count, groups);
        await Task.WhenAll(Enumerable.Range(0, cluster.Nodes.Count).Select(i =>
        {
            var faults = new LinkFaults([], lossPercent, options.DuplicatePercent).BlockedFrom(unreachable[i].Select(ChaosNetwork.NodeAddress));
            return cluster.Network.ApplyAsync(i, faults, cancellationToken);
        }));
    }

    private void Record(string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"+{(DateTime.UtcNow - Started).TotalSeconds,6:F1} s  {text}");
        lock (_gate)
        {
            _events.Add(line);
        }

        log("nemesis: " + text);
    }
}

/// <summary>The nemesis's settings.</summary>
public sealed record NemesisOptions
{
    /// <summary>Loss on every link from the first fault to the final heal.</summary>
    public int LossPercent { get; init; } = 10;

    /// <summary>Duplication on every link from the first fault to the final heal.</summary>
    public int DuplicatePercent { get; init; } = 5;

    /// <summary>How long a restarted node may take to listen.</summary>
    public TimeSpan StartDeadline { get; init; } = TimeSpan.FromSeconds(60);
}
