using System.Net;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Simulation.Replication;

/// <summary>
/// Broadcast plus anti-entropy sync across a wide-area cluster on virtual time: every node runs the
/// real <see cref="BroadcastPlanner"/> and <see cref="SyncPlanner"/>; holdings are sets of change ids;
/// frames travel over a <see cref="SimulatedNetwork{TMessage}"/> (loss) after the latency of the two
/// nodes' regions. Membership is taken as converged (every node knows every other, with RTTs).
/// Same scenario (seed included), same report.
/// </summary>
public sealed class ReplicationSimulation
{
    private readonly ReplicationScenario _scenario;
    private readonly DiscreteEventScheduler _scheduler = new();
    private readonly SimulatedNetwork<ReplicationMessage> _network;
    private readonly Random _random;
    private readonly List<SimReplica> _nodes = [];
    private readonly Dictionary<ActorId, int> _indexOf = [];
    private readonly long[,] _regionLatency;
    private readonly List<(ActorId Actor, long Version, long WrittenAt)> _changes = [];
    private readonly Dictionary<(ActorId, long), (int Holders, long LastAt)> _spread = [];
    private long _broadcastMessages;
    private long _syncMessages;
    private long _deliveredBySync;

    /// <summary>Builds the cluster (nothing runs until <see cref="Run"/>).</summary>
    public ReplicationSimulation(ReplicationScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentOutOfRangeException.ThrowIfLessThan(scenario.Nodes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(scenario.Regions, 1);
        _scenario = scenario;
        _random = new Random(scenario.Seed);
        _network = new SimulatedNetwork<ReplicationMessage>(_scheduler, new Random(_random.Next()))
        {
            Latency = LatencyDistribution.Zero,
            LossRate = scenario.LossRate,
        };
        _regionLatency = new long[scenario.Regions, scenario.Regions];
        for (var a = 0; a < scenario.Regions; a++)
        {
            for (var b = a + 1; b < scenario.Regions; b++)
            {
                var ms = _random.NextInt64(scenario.MinRegionLatencyMs, scenario.MaxRegionLatencyMs + 1);
                _regionLatency[a, b] = ms;
                _regionLatency[b, a] = ms;
            }
        }

        for (var i = 0; i < scenario.Nodes; i++)
        {
            var id = ActorId.FromRandom(_random);
            var node = new SimReplica(
                i,
                id,
                i % scenario.Regions,
                new BroadcastPlanner(id, scenario.Broadcast, new Random(_random.Next())),
                new SyncPlanner(id, scenario.Sync, new Random(_random.Next())));
            _nodes.Add(node);
            _indexOf[id] = i;
            var index = i;
            _network.Attach(i, (from, message) => Receive(index, from, message));
        }

        foreach (var node in _nodes)
        {
            foreach (var other in _nodes)
            {
                if (other.Index != node.Index)
                {
                    node.Broadcast.MemberUp(other.Id, new IPEndPoint(IPAddress.Loopback, other.Index + 1));
                    node.Broadcast.ObserveRtt(other.Id, TimeSpan.FromMilliseconds(2 * BaseLatency(node, other)));
                }
            }
        }
    }

    /// <summary>Writes the scenario's changes and runs until all have reached every node or the deadline passes.</summary>
    public ReplicationReport Run()
    {
        var tickMs = (long)_scenario.Broadcast.RetransmitInterval.TotalMilliseconds;
        foreach (var node in _nodes)
        {
            // Spread timers over their period so that nodes do not act in lockstep.
            _scheduler.After(_random.NextInt64(tickMs), () => Tick(node, tickMs));
            _scheduler.After((long)node.Sync.NextSyncDelay().TotalMilliseconds, () => StartRound(node));
        }

        for (var c = 0; c < _scenario.Changes; c++)
        {
            _scheduler.At(1_000 + (c * _scenario.ChangeIntervalMs), () => Write(_nodes[_random.Next(_nodes.Count)]));
        }

        _scheduler.RunUntil(
            () => _changes.Count == _scenario.Changes && _changes.All(c => _spread[(c.Actor, c.Version)].Holders == _nodes.Count),
            _scenario.DeadlineMs);

        var latencies = _changes
            .Select(c => _spread[(c.Actor, c.Version)] is var (holders, lastAt) && holders == _nodes.Count ? lastAt - c.WrittenAt : -1)
            .ToList();
        return new ReplicationReport(latencies, _broadcastMessages, _syncMessages, _deliveredBySync, _network.Lost, _scheduler.NowMs);
    }

    private long BaseLatency(SimReplica a, SimReplica b) =>
        a.Region == b.Region ? (_scenario.LocalLatency.MinMs + _scenario.LocalLatency.MaxMs) / 2 : _regionLatency[a.Region, b.Region];

    private void Send(SimReplica from, int to, ReplicationMessage message)
    {
        if (message is SimBroadcast)
        {
            _broadcastMessages++;
        }
        else
        {
            _syncMessages++;
        }

        var target = _nodes[to];
        var delay = (from.Region == target.Region ? _scenario.LocalLatency.Sample(_random) : _regionLatency[from.Region, target.Region])
            + _scenario.Jitter.Sample(_random);
        // The network adds loss (and its own zero latency); the regional delay is applied first.
        _scheduler.After(delay, () => _network.Send(from.Index, to, message));
    }

    private void SendAll(SimReplica from, IReadOnlyList<BroadcastSend> sends)
    {
        foreach (var send in sends)
        {
            Send(from, _indexOf[send.Peer], new SimBroadcast(send.Payload));
        }
    }

    private void Write(SimReplica node)
    {
        var version = ++node.OwnVersion;
        _changes.Add((node.Id, version, _scheduler.NowMs));
        Hold(node, node.Id, version);
        var payload = new PayloadId(node.Id, new VersionRange(version, version), new SeqRange(0, 0));
        SendAll(node, node.Broadcast.Local(payload, ReadOnlyMemory<byte>.Empty, _scheduler.NowMs));
    }

    private bool Hold(SimReplica node, ActorId actor, long version)
    {
        if (!node.Add(actor, version))
        {
            return false;
        }

        var key = (actor, version);
        var (holders, _) = _spread.GetValueOrDefault(key);
        _spread[key] = (holders + 1, _scheduler.NowMs);
        return true;
    }

    private void Tick(SimReplica node, long tickMs)
    {
        SendAll(node, node.Broadcast.Tick(_scheduler.NowMs));
        _scheduler.After(tickMs, () => Tick(node, tickMs));
    }

    private void StartRound(SimReplica node)
    {
        var round = node.Round + 1;
        node.Round = round;
        node.States.Clear();
        var peers = node.Sync.ChoosePeers(_nodes, static n => n.Id);
        node.AwaitingStates = peers.Count;
        foreach (var peer in peers)
        {
            Send(node, peer.Index, new SimSyncOpen(round));
        }

        _scheduler.After(_scenario.SyncStateTimeoutMs, () => PlanRound(node, round));
    }

    private void PlanRound(SimReplica node, int round)
    {
        if (node.Round != round || node.AwaitingStates < 0)
        {
            return;
        }

        // Marks the round planned, so a late state or the timeout does not plan it twice.
        node.AwaitingStates = -1;
        var requests = node.Sync.AssignRequests(node.State(), node.States);
        foreach (var request in requests)
        {
            Send(node, _indexOf[request.Peer], new SimSyncRequest(request.Needs));
        }

        node.Sync.RoundFinished(requests.Count > 0);
        _scheduler.After((long)node.Sync.NextSyncDelay().TotalMilliseconds, () => StartRound(node));
    }

    private void Receive(int index, int from, ReplicationMessage message)
    {
        var node = _nodes[index];
        var sender = _nodes[from];
        switch (message)
        {
            case SimBroadcast broadcast:
                var receipt = node.Broadcast.Received(broadcast.Payload, sender.Id, ReadOnlyMemory<byte>.Empty, _scheduler.NowMs);
                Hold(node, broadcast.Payload.Actor, broadcast.Payload.Versions.Start);
                SendAll(node, receipt.Sends);
                break;
            case SimSyncOpen open:
                Send(node, from, new SimSyncState(open.Round, node.State()));
                break;
            case SimSyncState state when state.Round == node.Round && node.AwaitingStates > 0:
                node.States.Add(state.State);
                if (--node.AwaitingStates == 0)
                {
                    PlanRound(node, node.Round);
                }

                break;
            case SimSyncRequest request:
                Send(node, from, new SimSyncAnswer(node.Answer(request.Needs)));
                break;
            case SimSyncAnswer answer:
                foreach (var change in answer.Changes)
                {
                    node.Broadcast.MarkSeen(new PayloadId(change.Actor, change.Versions, new SeqRange(0, 0)));
                    if (Hold(node, change.Actor, change.Versions.Start))
                    {
                        _deliveredBySync++;
                    }
                }

                break;
        }
    }
}
