using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class BroadcastPlannerPropertyTests
{
    /// <summary>
    /// Drives a planner with a random membership and a random sequence of events (seeded), checking
    /// every send as it is made; returns the first broken rule, or null.
    /// </summary>
    private static string? RunRandomScenario(int seed)
    {
        var r = new Random(seed);
        var options = new BroadcastOptions
        {
            Fanout = r.Next(1, 5),
            NearestRing = r.Next(0, 3),
            DirectMax = r.Next(0, 30),
            DirectRelay = r.Next(0, 4),
            RetransmitMult = r.Next(1, 6),
            MaxPending = r.Next(1, 20),
            SeenCapacity = 100, // more than the 59 ids used: nothing is forgotten, so "fresh" means never seen
        };
        var planner = new BroadcastPlanner(NodeId(0), options, new Random(seed));
        // Small clusters exercise exhaustion of peers; large ones (64+ live) the rejection-sampling path.
        var universe = r.Next(2) == 0 ? r.Next(1, 40) : r.Next(64, 250);
        var up = new HashSet<ActorId>();
        for (var i = 1; i <= universe; i++)
        {
            if (r.Next(3) != 0)
            {
                planner.MemberUp(NodeId(i), AddressOf(i));
                up.Add(NodeId(i));
            }
        }

        var sent = new HashSet<(PayloadId, ActorId)>();
        var sendCount = new Dictionary<PayloadId, int>();
        var budget = new Dictionary<PayloadId, int>();
        var sender = new Dictionary<PayloadId, ActorId>();
        long now = 0;

        string? Check(IEnumerable<BroadcastSend> sends)
        {
            foreach (var s in sends)
            {
                if (s.Peer == NodeId(0))
                {
                    return $"sent {s.Payload} to itself";
                }

                if (!up.Contains(s.Peer))
                {
                    return $"sent {s.Payload} to {s.Peer}, which is down";
                }

                if (!sent.Add((s.Payload, s.Peer)))
                {
                    return $"sent {s.Payload} twice to {s.Peer}";
                }

                if (s.Peer == s.Payload.Actor)
                {
                    return $"sent {s.Payload} back to its origin";
                }

                if (sender.TryGetValue(s.Payload, out var from) && from == s.Peer)
                {
                    return $"sent {s.Payload} back to its sender {from}";
                }

                sendCount[s.Payload] = sendCount.GetValueOrDefault(s.Payload) + 1;
                if (sendCount[s.Payload] > budget[s.Payload])
                {
                    return $"sent {s.Payload} {sendCount[s.Payload]} times, budget {budget[s.Payload]}";
                }
            }

            return null;
        }

        for (var step = 0; step < 300; step++)
        {
            var member = NodeId(r.Next(0, universe + 1)); // 0 is this node: it must be ignored
            // Every third version is a change of a member (its origin may send it to us itself), the rest of node 1000.
            var version = r.Next(1, 60);
            var payload = version % 3 == 0
                ? new PayloadId(NodeId(1 + (version % universe)), VersionRange.Single(version), new SeqRange(0, 0))
                : Payload(version);
            string? error = null;
            switch (r.Next(10))
            {
                case 0 or 1:
                    planner.MemberUp(member, AddressOf(r.Next(100)));
                    if (member != NodeId(0))
                    {
                        up.Add(member);
                    }

                    break;
                case 2:
                    planner.MemberDown(member);
                    up.Remove(member);
                    break;
                case 3:
                    planner.ObserveRtt(member, TimeSpan.FromMilliseconds(r.Next(1, 50)));
                    break;
                case 4:
                    {
                        var fresh = !planner.HasSeen(payload);
                        budget.TryAdd(payload, planner.CurrentLocalBudget);
                        var direct = fresh && planner.IsDirect;
                        // Every live member but the payload's origin (a real local payload's origin is this node).
                        var live = planner.LiveMemberCount - (up.Contains(payload.Actor) ? 1 : 0);
                        var sends = planner.Local(payload, Data, now);
                        if (direct && sends.Count != live)
                        {
                            error = $"a direct local payload went to {sends.Count} of {live} live members";
                            break;
                        }

                        error = !fresh && sends.Count > 0 ? $"re-sent already seen {payload}" : Check(sends);
                        break;
                    }

                case 5 or 6:
                    {
                        var fresh = !planner.HasSeen(payload);
                        // First seen in direct mode (from its origin or a relayer): only direct_relay sends, now or later.
                        var direct = fresh && planner.IsDirect;
                        budget.TryAdd(payload, direct ? Math.Min(planner.CurrentBudget, options.DirectRelay) : planner.CurrentBudget);
                        if (fresh)
                        {
                            // Sent-to records of a forgotten payload start over; so does the sender rule.
                            sender.TryAdd(payload, member);
                        }

                        var receipt = planner.Received(payload, member, Data, now);
                        error = receipt.IsDuplicate == fresh
                            ? $"{payload} reported duplicate={receipt.IsDuplicate} though seen={!fresh}"
                            : Check(receipt.Sends);
                        break;
                    }

                default:
                    now += r.Next(0, 400);
                    error = Check(planner.Tick(now));
                    break;
            }

            if (error is not null)
            {
                return $"seed {seed}, step {step}: {error}";
            }

            if (planner.PendingCount > options.MaxPending)
            {
                return $"seed {seed}: {planner.PendingCount} pending, more than {options.MaxPending}";
            }
        }

        return null;
    }

    [Fact]
    public void Any_events_never_send_a_payload_twice_to_a_peer_nor_beyond_its_budget()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var error = RunRandomScenario(seed);
            return error is null ? true : throw new InvalidOperationException(error);
        }).QuickCheckThrowOnFailure();
    }
}
