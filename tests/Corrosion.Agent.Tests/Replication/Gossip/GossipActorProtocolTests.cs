using System.Net;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>The gossip actor's protocol with storage and membership stood in for by probes.</summary>
public sealed class GossipActorProtocolTests : NodeTestKit, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private TcpGossipTransport? _transport;

    public async Task InitializeAsync()
    {
        _transport = new TcpGossipTransport(new TransportOptions
        {
            Transport = TransportKind.Tcp,
            Plaintext = true,
            ClusterId = 7,
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
    public void At_start_it_subscribes_its_listener_child_to_storage()
    {
        var storage = CreateTestProbe();

        var gossip = Start(storage);

        var subscribe = storage.ExpectMsg<SubscribeStorageEvents>(Timeout);
        Assert.Equal(gossip.Path / "storage-events", subscribe.Listener.Path);
    }

    [Fact]
    public async Task Peers_told_up_and_down_are_counted_in_its_stats()
    {
        var gossip = Start(CreateTestProbe());
        var (a, b) = (ActorId.NewId(), ActorId.NewId());

        gossip.Tell(new PeerUp(a, new IPEndPoint(IPAddress.Loopback, 9001)));
        gossip.Tell(new PeerUp(b, new IPEndPoint(IPAddress.Loopback, 9002)));
        gossip.Tell(new PeerDown(a));

        var stats = await gossip.Ask<GossipStats>(r => new GetGossipStats(r), Timeout);
        Assert.Equal(1, stats.LivePeers);
    }

    private ActorRef<GossipCommand> Start(Akka.TestKit.TestProbe storage) =>
        Sys.ActorOf(GossipActor.Props(
                storage.Ref.Typed<StorageCommand>(),
                _transport!,
                ActorId.NewId(),
                7,
                new BroadcastOptions(),
                new SyncOptions { MinInterval = TimeSpan.FromHours(1), MaxInterval = TimeSpan.FromHours(2) },
                new Random(1)))
            .Typed<GossipCommand>();
}
