using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Storage;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class BroadcastPlannerTests
{
    private static readonly BroadcastOptions NoRing = new() { NearestRing = 0, DirectMax = 0, Fanout = 3 };

    [Fact]
    public void Local_payload_in_a_small_cluster_goes_to_every_live_member_at_once()
    {
        var planner = Broadcaster(BroadcastOptions.DefaultDirectMax, new BroadcastOptions());

        var sends = planner.Local(Payload(1), Data, nowMs: 0);

        Assert.True(planner.IsDirect);
        Assert.Equal(Enumerable.Range(1, BroadcastOptions.DefaultDirectMax), sends.Select(s => PeerNumber(s.Peer)).Order());
        Assert.Equal(0, planner.PendingCount); // every live member has it: nothing left to retransmit
    }

    [Fact]
    public void Local_payload_in_a_cluster_above_direct_max_goes_to_fanout_members_and_waits_for_more_rounds()
    {
        var planner = Broadcaster(BroadcastOptions.DefaultDirectMax + 1, new BroadcastOptions { Fanout = 3 });

        var sends = planner.Local(Payload(1), Data, nowMs: 0);

        Assert.False(planner.IsDirect);
        Assert.Equal(3, sends.Count); // no RTT known yet: no nearest ring
        Assert.Equal(1, planner.PendingCount);
    }

    /// <summary>Version 1 of member <paramref name="origin"/>'s changes (one whole chunk).</summary>
    private static PayloadId PayloadFrom(int origin) => new(NodeId(origin), VersionRange.Single(1), new SeqRange(0, 0));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_payload_received_in_direct_mode_straight_from_its_origin_is_relayed_to_direct_relay_members_only(int relay)
    {
        // The origin sent it to all 9 others itself: a few relays cover a lost frame, the rest would be duplicates.
        var planner = Broadcaster(9, new BroadcastOptions { DirectRelay = relay });

        var receipt = planner.Received(PayloadFrom(1), NodeId(1), Data, nowMs: 0);

        Assert.True(planner.IsDirect);
        Assert.False(receipt.IsDuplicate);
        Assert.Equal(relay, receipt.Sends.Count);
        Assert.Equal(relay, receipt.Sends.Select(s => s.Peer).Distinct().Count());
        Assert.DoesNotContain(receipt.Sends, s => s.Peer == NodeId(1));
        // Its budget is those relays: no later round re-spends the full budget on members the origin sent it to.
        Assert.Equal(0, planner.PendingCount);
        Assert.Empty(DrainTicks(planner));
    }

    [Fact]
    public void A_payload_received_in_direct_mode_from_a_relayer_is_relayed_to_direct_relay_members_never_to_its_origin()
    {
        // Node 2 relays node 1's change before node 1's own frame reached us: node 1 sent it to everyone itself, so this
        // receiver relays like one that got it from the origin (a few members, once), and never back to node 1 or node 2.
        // direct_relay = 7 of 9 members: exactly the 7 that are neither origin nor sender.
        var planner = Broadcaster(9, new BroadcastOptions { DirectRelay = 7 });

        var receipt = planner.Received(PayloadFrom(1), NodeId(2), Data, nowMs: 0);

        Assert.True(planner.IsDirect);
        Assert.Equal(Enumerable.Range(3, 7), receipt.Sends.Select(s => PeerNumber(s.Peer)).Order());
        Assert.Equal(0, planner.PendingCount);
        Assert.Empty(DrainTicks(planner));
    }

    [Fact]
    public void A_payload_received_in_direct_mode_from_a_relayer_costs_direct_relay_sends_not_the_full_budget()
    {
        var planner = Broadcaster(9, new BroadcastOptions());

        var receipt = planner.Received(PayloadFrom(1), NodeId(2), Data, nowMs: 0);

        Assert.Equal(BroadcastOptions.DefaultDirectRelay, receipt.Sends.Count);
        Assert.DoesNotContain(receipt.Sends, s => s.Peer == NodeId(1) || s.Peer == NodeId(2));
        Assert.Empty(DrainTicks(planner));
    }

    [Fact]
    public void A_payload_relayed_above_direct_max_is_never_sent_back_to_its_origin()
    {
        // Fanout mode (direct_max = 0), members 1..3: node 2 relays node 1's change; only node 3 lacks it.
        var planner = Broadcaster(3, NoRing with { Fanout = 3 });

        var sends = planner.Received(PayloadFrom(1), NodeId(2), Data, nowMs: 0).Sends.Concat(DrainTicks(planner)).ToList();

        Assert.Equal([3], sends.Select(s => PeerNumber(s.Peer)));
    }

    [Fact]
    public void A_payload_received_straight_from_its_origin_above_direct_max_is_re_broadcast_with_the_full_budget()
    {
        var planner = Broadcaster(BroadcastOptions.DefaultDirectMax + 1, new BroadcastOptions { Fanout = 3 });
        var budget = planner.CurrentBudget;

        var receipt = planner.Received(PayloadFrom(1), NodeId(1), Data, nowMs: 0);
        var later = DrainTicks(planner);

        Assert.False(planner.IsDirect);
        Assert.Equal(3, receipt.Sends.Count);
        Assert.Equal(budget, receipt.Sends.Count + later.Count);
        Assert.DoesNotContain(receipt.Sends.Concat(later), s => s.Peer == NodeId(1));
    }

    [Fact]
    public void Local_payload_goes_at_once_to_fanout_distinct_live_members()
    {
        var planner = Broadcaster(10, NoRing);

        var sends = planner.Local(Payload(1), Data, nowMs: 0);

        Assert.Equal(3, sends.Count);
        Assert.Equal(sends.Count, sends.Select(s => s.Peer).Distinct().Count());
        Assert.All(sends, s => Assert.Equal(Payload(1), s.Payload));
        Assert.All(sends, s => Assert.InRange(PeerNumber(s.Peer), 1, 10));
        Assert.Equal(1, planner.Counters.LocalPayloads);
    }

    [Fact]
    public void Sends_carry_the_payload_bytes_and_the_members_current_address()
    {
        var planner = Broadcaster(1, NoRing);
        planner.MemberUp(NodeId(1), AddressOf(77));

        var send = Assert.Single(planner.Local(Payload(1), Data, 0));

        Assert.Equal(AddressOf(77), send.Address);
        Assert.True(send.Data.Span.SequenceEqual(Data.Span));
    }

    [Fact]
    public void Local_payload_also_goes_to_the_nearest_ring_of_lowest_rtt_members()
    {
        var planner = Broadcaster(20, new BroadcastOptions { NearestRing = 2, Fanout = 3 });
        for (var i = 1; i <= 20; i++)
        {
            planner.ObserveRtt(NodeId(i), TimeSpan.FromMilliseconds(100 + i));
        }

        planner.ObserveRtt(NodeId(13), TimeSpan.FromMilliseconds(1));
        planner.ObserveRtt(NodeId(7), TimeSpan.FromMilliseconds(2));

        var peers = planner.Local(Payload(1), Data, 0).Select(s => s.Peer).ToList();

        Assert.Equal(5, peers.Count);
        Assert.Equal([NodeId(13), NodeId(7)], peers.Take(2));
        Assert.Equal(5, peers.Distinct().Count());
    }

    [Fact]
    public void Nearest_ring_follows_rtt_changes_and_membership()
    {
        var planner = Broadcaster(20, new BroadcastOptions { NearestRing = 1, Fanout = 1 });
        planner.ObserveRtt(NodeId(5), TimeSpan.FromMilliseconds(3));
        planner.ObserveRtt(NodeId(6), TimeSpan.FromMilliseconds(4));
        Assert.Equal(NodeId(5), planner.Local(Payload(1), Data, 0)[0].Peer);

        planner.ObserveRtt(NodeId(6), TimeSpan.FromMilliseconds(1));
        Assert.Equal(NodeId(6), planner.Local(Payload(2), Data, 0)[0].Peer);

        planner.MemberDown(NodeId(6));
        Assert.Equal(NodeId(5), planner.Local(Payload(3), Data, 0)[0].Peer);
    }

    [Fact]
    public void Nearest_ring_is_skipped_when_no_rtt_is_known()
    {
        var planner = Broadcaster(20, new BroadcastOptions { NearestRing = 2, Fanout = 3 });

        Assert.Equal(3, planner.Local(Payload(1), Data, 0).Count);
    }

    [Fact]
    public void First_seen_remote_payload_is_rebroadcast_to_fanout_members_other_than_the_sender()
    {
        var planner = Broadcaster(10, NoRing);

        var receipt = planner.Received(Payload(1), NodeId(4), Data, 0);

        Assert.False(receipt.IsDuplicate);
        Assert.Equal(3, receipt.Sends.Count);
        Assert.DoesNotContain(NodeId(4), receipt.Sends.Select(s => s.Peer));
        Assert.Equal(1, planner.Counters.ReceivedNew);
    }

    [Fact]
    public void Duplicate_from_a_peer_is_reported_and_not_sent_again()
    {
        var planner = Broadcaster(10, NoRing);
        planner.Received(Payload(1), NodeId(4), Data, 0);

        var again = planner.Received(Payload(1), NodeId(5), Data, 1);

        Assert.True(again.IsDuplicate);
        Assert.Empty(again.Sends);
        Assert.Equal(1, planner.Counters.Duplicates);
        Assert.Equal(1, planner.Counters.ReceivedNew);
    }

    [Fact]
    public void Remote_copy_of_a_local_payload_is_a_duplicate()
    {
        var planner = Broadcaster(10, NoRing);
        planner.Local(Payload(1), Data, 0);

        Assert.True(planner.Received(Payload(1), NodeId(2), Data, 1).IsDuplicate);
        Assert.Empty(planner.Local(Payload(1), Data, 2));
        Assert.Equal(2, planner.Counters.Duplicates);
    }

    [Fact]
    public void Payload_marked_seen_by_sync_is_a_duplicate_when_broadcast_later()
    {
        var planner = Broadcaster(10, NoRing);

        Assert.True(planner.MarkSeen(Payload(1)));
        Assert.False(planner.MarkSeen(Payload(1)));

        Assert.True(planner.Received(Payload(1), NodeId(2), Data, 0).IsDuplicate);
        Assert.Equal(0, planner.PendingCount);
    }

    [Fact]
    public void Chunks_of_one_version_and_an_empty_range_are_different_payloads()
    {
        var actor = NodeId(1000);
        var whole = PayloadId.Of(new ChangesetFull(actor, 5, [], new SeqRange(0, 9), 9, 0));
        var chunk = PayloadId.Of(new ChangesetFull(actor, 5, [], new SeqRange(0, 4), 9, 0));
        var empty = PayloadId.Of(new ChangesetEmpty(actor, new VersionRange(5, 5)));
        var firstSeq = PayloadId.Of(new ChangesetFull(actor, 5, [], new SeqRange(0, 0), 0, 0));

        Assert.Equal(4, new[] { whole, chunk, empty, firstSeq }.Distinct().Count());
        Assert.True(empty.IsEmpty);
        Assert.False(firstSeq.IsEmpty);
    }

    [Theory]
    [InlineData(1, 4, 4)] // ceil(log10(2)) = 1
    [InlineData(9, 4, 4)] // ceil(log10(10)) = 1
    [InlineData(10, 4, 8)] // ceil(log10(11)) = 2
    [InlineData(99, 4, 8)] // ceil(log10(100)) = 2
    [InlineData(100, 4, 12)] // ceil(log10(101)) = 3
    [InlineData(1000, 3, 12)] // ceil(log10(1001)) = 4
    public void Budget_is_retransmit_mult_times_ceil_log10_of_cluster_size_plus_one(int clusterSize, int mult, int budget)
    {
        Assert.Equal(budget, BroadcastPlanner.TransmissionBudget(clusterSize, mult));
    }

    [Fact]
    public void Total_sends_of_a_payload_never_exceed_the_budget()
    {
        // 20 peers + this node: budget 4 × ceil(log10(22)) = 8, fewer than the 20 peers.
        var planner = Broadcaster(20, NoRing);
        Assert.Equal(8, planner.CurrentBudget);

        var sends = planner.Local(Payload(1), Data, 0).Concat(DrainTicks(planner)).ToList();

        Assert.Equal(8, sends.Count);
        Assert.Equal(0, planner.PendingCount);
        Assert.Equal(1, planner.Counters.BudgetSpent);
        Assert.Equal(5, planner.Counters.Retransmissions);
    }

    [Fact]
    public void Later_transmissions_wait_for_the_retransmit_interval()
    {
        var planner = Broadcaster(20, NoRing with { RetransmitInterval = TimeSpan.FromMilliseconds(200) });
        planner.Local(Payload(1), Data, nowMs: 1_000);

        Assert.Empty(planner.Tick(1_199));
        Assert.Equal(3, planner.Tick(1_200).Count);
        Assert.Empty(planner.Tick(1_300));
        Assert.Equal(2, planner.Tick(1_400).Count); // 3 + 3 + 2 = budget 8
        Assert.Equal(0, planner.PendingCount);
    }

    [Fact]
    public void Payload_is_never_sent_twice_to_the_same_peer()
    {
        // 5 peers, budget 4 × ceil(log10(6)) = 4 with fanout 1: four rounds over five peers.
        var planner = Broadcaster(5, NoRing with { Fanout = 1 });

        var sends = planner.Local(Payload(1), Data, 0).Concat(DrainTicks(planner)).ToList();

        Assert.Equal(4, sends.Count);
        Assert.Equal(4, sends.Select(s => s.Peer).Distinct().Count());
    }

    [Fact]
    public void Rebroadcast_never_goes_back_to_the_sender()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var planner = Broadcaster(3, NoRing with { Fanout = 1 }, seed);

            var sends = planner.Received(Payload(1), NodeId(2), Data, 0).Sends.Concat(DrainTicks(planner)).ToList();

            Assert.Equal(2, sends.Count); // everyone but the sender, then retired
            Assert.DoesNotContain(NodeId(2), sends.Select(s => s.Peer));
        }
    }

    [Fact]
    public void Peer_that_sends_a_duplicate_is_not_sent_the_payload_later()
    {
        var planner = Broadcaster(4, NoRing with { Fanout = 1 }, seed: 3);
        var first = Assert.Single(planner.Local(Payload(1), Data, 0)).Peer;
        var other = Enumerable.Range(1, 4).Select(NodeId).First(n => n != first);

        planner.Received(Payload(1), other, Data, 1);
        var later = DrainTicks(planner);

        Assert.DoesNotContain(other, later.Select(s => s.Peer));
        Assert.DoesNotContain(first, later.Select(s => s.Peer));
        Assert.Equal(2, later.Count); // the two others, then every live member has it
        Assert.Equal(1, planner.Counters.ReachedAll);
    }

    [Fact]
    public void Payload_is_retired_once_every_live_member_has_it()
    {
        var planner = Broadcaster(3, NoRing); // budget 4, three peers

        Assert.Equal(3, planner.Local(Payload(1), Data, 0).Count);

        Assert.Equal(0, planner.PendingCount);
        Assert.Equal(1, planner.Counters.ReachedAll);
        Assert.Empty(planner.Tick(10_000));
    }

    [Fact]
    public void Down_members_are_never_chosen()
    {
        var planner = Broadcaster(12, NoRing);
        for (var i = 1; i <= 12; i += 2)
        {
            planner.MemberDown(NodeId(i));
        }

        var sends = new List<BroadcastSend>();
        for (var v = 1; v <= 30; v++)
        {
            sends.AddRange(planner.Local(Payload(v), Data, 0));
        }

        sends.AddRange(DrainTicks(planner));

        Assert.NotEmpty(sends);
        Assert.All(sends, s => Assert.Equal(0, PeerNumber(s.Peer) % 2));
        Assert.Equal(6, planner.LiveMemberCount);
    }

    [Fact]
    public void Member_going_down_while_a_payload_is_pending_is_not_chosen_afterwards()
    {
        var planner = Broadcaster(20, NoRing);
        var first = planner.Local(Payload(1), Data, 0).Select(s => s.Peer).ToHashSet();
        var down = Enumerable.Range(1, 20).Select(NodeId).Where(n => !first.Contains(n)).Take(15).ToList();
        down.ForEach(planner.MemberDown);

        var later = DrainTicks(planner);

        Assert.Equal(2, later.Count); // the two members still up and not yet sent to
        Assert.DoesNotContain(later, s => down.Contains(s.Peer));
    }

    [Fact]
    public void Payload_made_while_alone_goes_to_members_that_come_up_later()
    {
        var planner = Broadcaster(0, NoRing);
        Assert.Empty(planner.Local(Payload(1), Data, 0));
        Assert.Equal(1, planner.PendingCount);

        planner.MemberUp(NodeId(1), AddressOf(1));
        var send = Assert.Single(planner.Tick(1_000));

        Assert.Equal(NodeId(1), send.Peer);
        Assert.Equal(0, planner.PendingCount);
    }

    [Fact]
    public void Payload_given_as_an_encoder_is_encoded_once_when_first_sent_and_never_when_dropped_unsent()
    {
        var planner = Broadcaster(0, NoRing with { MaxPending = 1 });
        var encoded = new List<int>();
        ReadOnlyMemory<byte> Encode(int payload)
        {
            encoded.Add(payload);
            return Data;
        }

        Assert.Empty(planner.Local(Payload(1), () => Encode(1), 0));
        Assert.Empty(planner.Local(Payload(2), () => Encode(2), 0));
        Assert.Empty(encoded);

        planner.MemberUp(NodeId(1), AddressOf(1));
        planner.MemberUp(NodeId(2), AddressOf(2));
        var sends = planner.Tick(1_000);
        sends = [.. sends, .. planner.Tick(2_000)];

        Assert.Equal([2], encoded);
        Assert.NotEmpty(sends);
        Assert.All(sends, send => Assert.True(send.Data.Span.SequenceEqual(Data.Span)));
        Assert.All(sends, send => Assert.Equal(Payload(2), send.Payload));
    }

    [Fact]
    public void Payload_given_as_an_encoder_is_encoded_at_once_when_a_member_is_live()
    {
        var planner = Broadcaster(1, NoRing);
        var calls = 0;

        var send = Assert.Single(planner.Local(Payload(1), () =>
        {
            calls++;
            return Data;
        }, 0));

        Assert.Equal(1, calls);
        Assert.True(send.Data.Span.SequenceEqual(Data.Span));
    }

    [Fact]
    public void Full_pending_queue_drops_the_oldest_payload_and_counts_it()
    {
        var planner = Broadcaster(20, NoRing with { MaxPending = 2 });
        planner.Local(Payload(1), Data, 0);
        planner.Local(Payload(2), Data, 0);

        planner.Local(Payload(3), Data, 0);

        Assert.Equal(2, planner.PendingCount);
        Assert.Equal(1, planner.Counters.DroppedPending);
        var later = planner.Tick(1_000).Select(s => s.Payload).ToHashSet();
        Assert.True(later.SetEquals([Payload(2), Payload(3)]), string.Join(", ", later));
    }

    [Fact]
    public void Seen_ids_are_bounded_and_the_least_recently_seen_is_forgotten()
    {
        var planner = Broadcaster(3, NoRing with { MaxPending = 1, SeenCapacity = 2 });
        planner.MarkSeen(Payload(1));
        planner.MarkSeen(Payload(2));
        planner.MarkSeen(Payload(1)); // seen again: now 2 is the least recently seen

        planner.MarkSeen(Payload(3));

        Assert.True(planner.HasSeen(Payload(1)));
        Assert.False(planner.HasSeen(Payload(2)));
        Assert.False(planner.Received(Payload(2), NodeId(1), Data, 0).IsDuplicate);
    }

    [Fact]
    public void This_node_is_never_a_member_of_its_own_broadcasts()
    {
        var planner = Broadcaster(2, NoRing);
        planner.MemberUp(NodeId(0), AddressOf(0));

        Assert.Equal(2, planner.LiveMemberCount);
        Assert.DoesNotContain(NodeId(0), planner.Local(Payload(1), Data, 0).Select(s => s.Peer));
    }

    [Theory]
    [InlineData(0, 0, 4, 10, 20)]
    [InlineData(3, -1, 4, 10, 20)]
    [InlineData(3, 0, 0, 10, 20)]
    [InlineData(3, 0, 4, 0, 20)]
    [InlineData(3, 0, 4, 30, 20)]
    public void Options_out_of_range_are_rejected(int fanout, int ring, int mult, int maxPending, int seen)
    {
        var options = new BroadcastOptions
        {
            Fanout = fanout,
            NearestRing = ring,
            RetransmitMult = mult,
            MaxPending = maxPending,
            SeenCapacity = seen,
        };

        Assert.Throws<ArgumentException>(() => options.Validate());
    }

    [Fact]
    public void Direct_relay_out_of_range_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new BroadcastOptions { DirectRelay = -1 }.Validate());

        Assert.Contains("direct_relay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        var options = new BroadcastOptions();

        Assert.Same(options, options.Validate());
    }

    private static int PeerNumber(ActorId id) => id.ToByteArray()[15] | (id.ToByteArray()[14] << 8);
}
