using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>
/// The node guardian's supervision, on Akka's TestScheduler: the membership actor fails in PreStart
/// while its UDP port is taken by another socket (a transient fault), so restarts and their backoff
/// are observable without wall-clock waits.
/// </summary>
public sealed class NodeSupervisorTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corro-supervisor-tests", Guid.NewGuid().ToString("N"));
    private readonly MetricRecorder _metrics;
    private UdpClient? _blocker;

    public NodeSupervisorTests()
        : base(config: VirtualTime)
    {
        _metrics = new MetricRecorder(Sys.Name);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task The_guardian_answers_with_its_children()
    {
        var (guardian, _) = StartNode(new SupervisionOptions(), port: 0);

        var actors = await guardian.Ask<NodeActors>(r => new GetNodeActors(r), Timeout);

        Assert.Equal("/user/corrosion/storage", actors.Storage.Path.ToStringWithoutAddress());
        Assert.Equal("/user/corrosion/membership", actors.Membership!.Path.ToStringWithoutAddress());
        Assert.Equal("/user/corrosion/subscriptions", actors.Subscriptions!.Path.ToStringWithoutAddress());
        Assert.Null(actors.Gossip);
    }

    [Fact]
    public async Task A_failed_actor_restarts_after_its_backoff_keeping_its_mailbox_and_rebuilding_its_state()
    {
        var port = TakeUdpPort();
        var (guardian, _) = await StartFailingAsync(Fixed(TimeSpan.FromSeconds(1), maxRestarts: 5), port);
        var actors = await guardian.Ask<NodeActors>(r => new GetNodeActors(r), Timeout);
        var reply = CreateTestProbe();

        // Failed at start and suspended for its backoff: the request waits in its mailbox.
        actors.Membership!.Tell(new GetMembers(reply.Ref.Typed<MembersSnapshot>()));
        reply.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        _blocker!.Dispose();
        await AdvanceAsync(guardian, TimeSpan.FromMilliseconds(999));
        reply.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, _metrics.Sum(ActorMetrics.Restarts, "/user/corrosion/membership"));

        await AdvanceAsync(guardian, TimeSpan.FromMilliseconds(1));

        // The new incarnation bound the port in PreStart and answers the request that waited.
        var snapshot = reply.ExpectMsg<MembersSnapshot>(Timeout);
        Assert.Equal(port, snapshot.Self.Address.Port);
        Assert.Equal(1, _metrics.Sum(ActorMetrics.Restarts, "/user/corrosion/membership"));
    }

    [Fact]
    public async Task The_backoff_doubles_with_each_restart_within_the_window()
    {
        var port = TakeUdpPort();
        var (guardian, _) = await StartFailingAsync(Fixed(TimeSpan.FromSeconds(1), maxRestarts: 5), port);

        // Each restart fails again (the port stays taken) and the next one waits twice as long.
        await FailsOnceAsync(() => AdvanceAsync(guardian, TimeSpan.FromSeconds(1)));
        Assert.Equal(1, Restarts());
        await AdvanceAsync(guardian, TimeSpan.FromMilliseconds(1_999));
        Assert.Equal(1, Restarts());
        await FailsOnceAsync(() => AdvanceAsync(guardian, TimeSpan.FromMilliseconds(1)));
        Assert.Equal(2, Restarts());
        await AdvanceAsync(guardian, TimeSpan.FromMilliseconds(3_999));
        Assert.Equal(2, Restarts());
        await FailsOnceAsync(() => AdvanceAsync(guardian, TimeSpan.FromMilliseconds(1)));
        Assert.Equal(3, Restarts());
    }

    [Fact]
    public async Task An_actor_failing_beyond_the_restart_limit_stops_the_node_with_the_cause()
    {
        var port = TakeUdpPort();
        var (guardian, termination) = await StartFailingAsync(Fixed(TimeSpan.FromSeconds(1), maxRestarts: 2), port);
        var watcher = CreateTestProbe();
        watcher.Watch(guardian.Untyped);

        // Two restarts (after 1 s, then 2 s); the third failure gives up.
        await FailsOnceAsync(() => AdvanceAsync(guardian, TimeSpan.FromSeconds(1)));
        Scheduler.Advance(TimeSpan.FromSeconds(2));

        watcher.ExpectTerminated(guardian.Untyped, Timeout);
        var cause = await termination.WhenStopped.WaitAsync(Timeout);
        var failed = Assert.IsType<ActorFailedException>(cause);
        Assert.Equal("membership", failed.Actor);
        Assert.Contains("cannot bind UDP", failed.Message, StringComparison.Ordinal);
        Assert.Same(cause, termination.Cause);
    }

    [Fact]
    public void Backoff_grows_from_min_doubling_to_max_with_bounded_jitter()
    {
        var options = new SupervisionOptions { MinBackoff = TimeSpan.FromMilliseconds(200), MaxBackoff = TimeSpan.FromSeconds(30), RandomFactor = 0.2 };
        var random = new Random(7);

        for (var n = 0; n < 12; n++)
        {
            var floor = Math.Min(200 * Math.Pow(2, n), 30_000);
            var delay = options.BackoffFor(n, random).TotalMilliseconds;
            Assert.InRange(delay, floor, Math.Min(floor * 1.2, 30_000));
        }
    }

    private (ActorRef<NodeCommand> Guardian, NodeTermination Termination) StartNode(SupervisionOptions supervision, int port)
    {
        var store = _stores.Build();
        var options = new NodeOptions { EnableReplication = false, Supervision = supervision };
        options.Db.Path = Path.Combine(_dir, "node.db");
        options.Gossip = options.Gossip with { BindEndPoint = new IPEndPoint(IPAddress.Loopback, port) };
        var termination = new NodeTermination();
        var guardian = Sys.ActorOf(NodeSupervisor.Props(store, options, transport: null, termination, random: new Random(1)), NodeSupervisor.Name);
        return (guardian.Typed<NodeCommand>(), termination);
    }

    /// <summary>Starts a node whose membership actor fails at start; returns once the failure reached the guardian.</summary>
    private async Task<(ActorRef<NodeCommand> Guardian, NodeTermination Termination)> StartFailingAsync(SupervisionOptions supervision, int port)
    {
        (ActorRef<NodeCommand>, NodeTermination) started = default;
        await FailsOnceAsync(() =>
        {
            started = StartNode(supervision, port);
            return Task.CompletedTask;
        });
        return started;
    }

    /// <summary>Runs <paramref name="action"/> and waits until the guardian has logged one failure of a child (its restart is then scheduled).</summary>
    private async Task FailsOnceAsync(Func<Task> action)
    {
        await EventFilter.Exception<ActorInitializationException>().ExpectAsync(1, Timeout, action);
        await Sys.ActorSelection("/user/corrosion").Ask<ActorIdentity>(new Identify(null), Timeout);
    }

    private long Restarts() => _metrics.Sum(ActorMetrics.Restarts, "/user/corrosion/membership");

    private static SupervisionOptions Fixed(TimeSpan min, int maxRestarts) =>
        new() { MinBackoff = min, MaxBackoff = TimeSpan.FromMinutes(1), RandomFactor = 0, MaxRestarts = maxRestarts };

    /// <summary>Advances virtual time once the guardian is idle, then waits until it has handled whatever timer that delivered.</summary>
    private async Task AdvanceAsync(ActorRef<NodeCommand> guardian, TimeSpan by)
    {
        await guardian.Ask<NodeActors>(r => new GetNodeActors(r), Timeout);
        Scheduler.Advance(by);
        await guardian.Ask<NodeActors>(r => new GetNodeActors(r), Timeout);
    }

    private int TakeUdpPort()
    {
        _blocker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)_blocker.Client.LocalEndPoint!).Port;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _blocker?.Dispose();
        _metrics.Dispose();
        _stores.Dispose();
    }
}
