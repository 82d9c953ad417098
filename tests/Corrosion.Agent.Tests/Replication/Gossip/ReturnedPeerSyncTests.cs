using System.Net;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>
/// A member that came back is synced with at once; a member merely up waits for the sync timer. The
/// actor's timers run on virtual time (never advanced in the first case), storage is a probe, and a
/// second transport stands in for the member so that the session can be seen arriving.
/// </summary>
public sealed class ReturnedPeerSyncTests : NodeTestKit, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly SyncOptions Sync = new() { MinInterval = TimeSpan.FromSeconds(1), MaxInterval = TimeSpan.FromSeconds(15) };
    private readonly ActorId _self = ActorId.NewId();
    private readonly ActorId _peerId = ActorId.NewId();
    private TcpGossipTransport? _transport;
    private TcpGossipTransport? _peer;

    public ReturnedPeerSyncTests()
        : base(config: VirtualTime)
    {
    }

    public async Task InitializeAsync()
    {
        _transport = await StartTransportAsync();
        _peer = await StartTransportAsync();
    }

    public async Task DisposeAsync()
    {
        Shutdown();
        await _transport!.DisposeAsync();
        await _peer!.DisposeAsync();
    }

    [Fact]
    public async Task A_member_that_came_back_is_synced_with_at_once_without_waiting_for_the_sync_timer()
    {
        var (gossip, storage) = Start();

        gossip.Tell(new PeerReturned(_peerId, _peer!.LocalEndPoint));

        // No virtual time passes: the round starts on the message itself.
        storage.ExpectMsg<ReadSyncState>(Timeout).ReplyTo.Tell(EmptyState());
        using var deadline = new CancellationTokenSource(Timeout);
        await using var session = await _peer.IncomingSessions.ReadAsync(deadline.Token);
        Assert.Equal(1, (await gossip.Ask<GossipStats>(r => new GetGossipStats(r), Timeout)).ReturnedPeerSyncs);
    }

    [Fact]
    public async Task A_member_that_came_back_does_not_wait_behind_a_round_stuck_on_a_silent_peer()
    {
        var (gossip, storage) = Start();
        await using var silent = await StartTransportAsync();
        using var deadline = new CancellationTokenSource(Timeout);
        gossip.Tell(new PeerUp(ActorId.NewId(), silent.LocalEndPoint));
        Scheduler.Advance(Sync.MinInterval * 2);
        storage.ExpectMsg<ReadSyncState>(Timeout).ReplyTo.Tell(EmptyState());
        // Accepted and never answered, like a session cut by a partition: the round waits for its state.
        await using var stuck = await silent.IncomingSessions.ReadAsync(deadline.Token);

        gossip.Tell(new PeerReturned(_peerId, _peer!.LocalEndPoint));

        storage.ExpectMsg<ReadSyncState>(Timeout).ReplyTo.Tell(EmptyState());
        await using var session = await _peer.IncomingSessions.ReadAsync(deadline.Token);
        var stats = await gossip.Ask<GossipStats>(r => new GetGossipStats(r), Timeout);
        Assert.Equal((1L, 1L), (stats.SyncRoundsAbandoned, stats.ReturnedPeerSyncs));
    }

    [Fact]
    public void A_member_merely_up_waits_for_the_sync_timer()
    {
        var (gossip, storage) = Start();

        gossip.Tell(new PeerUp(_peerId, _peer!.LocalEndPoint));
        Scheduler.Advance(Sync.MinInterval - TimeSpan.FromMilliseconds(100));
        storage.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The first pause is at most twice the minimum.
        Scheduler.Advance(Sync.MinInterval + TimeSpan.FromMilliseconds(100));
        storage.ExpectMsg<ReadSyncState>(Timeout);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (ActorRef<GossipCommand> Gossip, TestProbe Storage) Start()
    {
        var storage = CreateTestProbe();
        var gossip = Sys.ActorOf(GossipActor.Props(storage.Ref.Typed<StorageCommand>(), _transport!, _self, 7, new BroadcastOptions(), Sync, new Random(1)))
            .Typed<GossipCommand>();
        storage.ExpectMsg<SubscribeStorageEvents>(Timeout);
        return (gossip, storage);
    }

    private SyncState EmptyState() => new(_self, new Dictionary<ActorId, long>(), new Dictionary<ActorId, IReadOnlyList<VersionRange>>(), new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>());

    private static async Task<TcpGossipTransport> StartTransportAsync()
    {
        var transport = new TcpGossipTransport(new TransportOptions
        {
            Transport = TransportKind.Tcp,
            Plaintext = true,
            ClusterId = 7,
            BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        });
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }
}
