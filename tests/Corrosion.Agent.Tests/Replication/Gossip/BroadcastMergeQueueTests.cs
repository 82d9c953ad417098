using System.Net;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>
/// The gossip actor's merge queue: broadcast changesets arriving while the writer merges wait and go
/// together as one merge when it answers; a full batch goes without waiting.
/// </summary>
public sealed class BroadcastMergeQueueTests : NodeTestKit, IAsyncLifetime
{
    private const ushort Cluster = 7;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly ActorId Origin = ActorId.NewId();
    private static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 9001);
    private TcpGossipTransport? _transport;

    public async Task InitializeAsync()
    {
        _transport = new TcpGossipTransport(new TransportOptions
        {
            Transport = TransportKind.Tcp,
            Plaintext = true,
            ClusterId = Cluster,
            BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        });
        await _transport.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        Shutdown();
        await _transport!.DisposeAsync();
    }

    [Fact]
    public async Task Changesets_arriving_while_the_writer_merges_go_together_when_it_answers()
    {
        var storage = CreateTestProbe();
        var gossip = Start(storage, new GossipOptions());

        gossip.Tell(Frames(1));
        var first = storage.FishForMessage<ApplyChangesets>(_ => true, Timeout);
        Assert.Equal([1L], Versions(first));

        gossip.Tell(Frames(2));
        gossip.Tell(Frames(3));
        // Both were handled (the stats answer comes after them) and neither went to the writer yet.
        await gossip.Ask<GossipStats>(r => new GetGossipStats(r), Timeout);
        Assert.False(storage.HasMessages);

        first.ReplyTo!.Tell(new ApplyOutcome(new MergeResult([], [], []), null));
        var next = storage.ExpectMsg<ApplyChangesets>(Timeout);
        Assert.Equal([2L, 3L], Versions(next));
    }

    [Fact]
    public void A_full_batch_goes_without_waiting_for_the_writer()
    {
        var storage = CreateTestProbe();
        var gossip = Start(storage, new GossipOptions { MergeBatchChanges = 2 });

        gossip.Tell(Frames(1));
        storage.FishForMessage<ApplyChangesets>(_ => true, Timeout);

        // One change each: the second makes a full batch of two while the first merge is unanswered.
        gossip.Tell(Frames(2));
        gossip.Tell(Frames(3));

        Assert.Equal([2L, 3L], Versions(storage.ExpectMsg<ApplyChangesets>(Timeout)));
    }

    [Fact]
    public void A_writer_that_does_not_answer_in_time_does_not_stop_merges()
    {
        var storage = CreateTestProbe();
        var gossip = Start(storage, new GossipOptions { StorageTimeout = TimeSpan.FromMilliseconds(200) });

        gossip.Tell(Frames(1));
        storage.FishForMessage<ApplyChangesets>(_ => true, Timeout);
        gossip.Tell(Frames(2));

        // The ask for version 1 times out: version 2 goes anyway.
        Assert.Equal([2L], Versions(storage.ExpectMsg<ApplyChangesets>(Timeout)));
    }

    /// <summary>
    /// Gossip fuzz campaign (session 12, about 1 run in 3): a merge that failed in part (storage then
    /// merges the batch one by one) and applied a stranger's cleared range 51..34359738382 sent the
    /// actor through every version of it, one by one into a set: it never took another message, so
    /// no broadcast was merged again. A range ending at <see cref="long.MaxValue"/> never ended at all.
    /// </summary>
    [Theory]
    [InlineData(51L, 34_359_738_382L)]
    [InlineData(long.MaxValue, long.MaxValue)]
    [InlineData(1L, long.MaxValue)]
    public async Task A_partly_failed_merge_that_applied_a_huge_range_of_versions_does_not_stop_merges(long start, long end)
    {
        var storage = CreateTestProbe();
        var gossip = Start(storage, new GossipOptions());

        gossip.Tell(Frames(1));
        var first = storage.FishForMessage<ApplyChangesets>(_ => true, Timeout);
        var applied = new MergeResult([new ActorVersions(ActorId.NewId(), new VersionRange(start, end))], [], []);
        first.ReplyTo!.Tell(new ApplyOutcome(applied, "another changeset of the batch failed"));

        gossip.Tell(Frames(2));
        Assert.Equal([2L], Versions(storage.ExpectMsg<ApplyChangesets>(Timeout)));
        // The same incarnation took both (one that ran out of memory and restarted would count one).
        Assert.Equal(2, (await gossip.Ask<GossipStats>(r => new GetGossipStats(r), Timeout)).BroadcastsReceived);
    }

    private static long[] Versions(ApplyChangesets apply) => apply.Changesets.Cast<ChangesetFull>().Select(c => c.Version).ToArray();

    private static FramesReceived Frames(long version)
    {
        var change = new Change("kv", [SqlValue.FromText("k" + version)], "v", SqlValue.FromText("value"), 1, version, Origin, 1, 0);
        var changeset = new ChangesetFull(Origin, version, [change], new SeqRange(0, 0), 0, 0);
        return new FramesReceived([new ReceivedFrame(Remote, ReplicationCodec.Encode(Cluster, new BroadcastChangeset(changeset)))]);
    }

    private ActorRef<GossipCommand> Start(Akka.TestKit.TestProbe storage, GossipOptions options) =>
        Sys.ActorOf(GossipActor.Props(
                storage.Ref.Typed<StorageCommand>(),
                _transport!,
                ActorId.NewId(),
                Cluster,
                new BroadcastOptions(),
                new SyncOptions { MinInterval = TimeSpan.FromHours(1), MaxInterval = TimeSpan.FromHours(2) },
                new Random(1),
                options))
            .Typed<GossipCommand>();
}
