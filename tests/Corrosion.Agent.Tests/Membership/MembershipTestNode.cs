using System.Net;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>
/// One MembershipActor on real UDP (127.0.0.1), in its own actor system, optionally with a store so
/// members are persisted. Short probe settings so clusters form and fail over in well under a second.
/// </summary>
internal sealed class MembershipTestNode : IAsyncDisposable
{
    public static readonly SwimOptions FastSwim = SwimOptions.Lan with
    {
        ProbeIntervalMs = 100,
        ProbeTimeoutMs = 50,
        GossipIntervalMs = 50,
        ReconnectIntervalMs = 300,
        JoinRetryMaxMs = 500,
    };

    private readonly CrdtStore? _store;
    private bool _disposed;

    private MembershipTestNode(ActorSystem system, ActorRef<MembershipCommand> membership, ActorRef<StorageCommand>? storage, CrdtStore? store, NodeAddress address)
    {
        System = system;
        Membership = membership;
        Storage = storage;
        _store = store;
        Address = address;
    }

    public ActorSystem System { get; }

    public ActorRef<MembershipCommand> Membership { get; }

    public ActorRef<StorageCommand>? Storage { get; }

    public NodeAddress Address { get; }

    public ActorId Id { get; private set; }

    /// <summary>Starts a node; <paramref name="dbPath"/> gives it a store (persisted members), <paramref name="port"/> a fixed port.</summary>
    public static async Task<MembershipTestNode> StartAsync(IEnumerable<string>? bootstrap = null, string? dbPath = null, int port = 0, ActorId? id = null, SwimOptions? swim = null)
    {
        var system = NodeActorSystem.Create("membership-test");
        CrdtStore? store = null;
        ActorRef<StorageCommand>? storage = null;
        if (dbPath is not null)
        {
            store = CrdtStore.Open(new StoreOptions(dbPath, []));
            var opened = store;
            storage = system.ActorOf(StorageActor.Props(opened), "storage").Typed<StorageCommand>();
        }

        var actorId = store?.SiteId ?? id ?? ActorId.NewId();
        var options = new MembershipOptions { Swim = swim ?? FastSwim, Bootstrap = bootstrap?.ToList() ?? [] };
        var membership = system.ActorOf(
                MembershipActor.Props(actorId, new IPEndPoint(IPAddress.Loopback, port), 7, options, storage, seed: 42),
                "membership")
            .Typed<MembershipCommand>();
        var snapshot = await membership.Ask<MembersSnapshot>(r => new GetMembers(r), TimeSpan.FromSeconds(10));
        return new MembershipTestNode(system, membership, storage, store, snapshot.Self.Address) { Id = actorId };
    }

    public Task<MembersSnapshot> MembersAsync() =>
        Membership.Ask<MembersSnapshot>(r => new GetMembers(r), TimeSpan.FromSeconds(10));

    /// <summary>Waits until this node sees <paramref name="other"/> in <paramref name="state"/>.</summary>
    public Task WaitForAsync(MembershipTestNode other, MemberState state, TimeSpan? deadline = null) =>
        WaitUntilAsync(s => s.Members.Any(m => m.Address == other.Address && m.Id == other.Id && m.State == state), $"{other.Address} {state}", deadline);

    /// <summary>Waits until this node's view satisfies <paramref name="condition"/>; the timeout says what it saw.</summary>
    public async Task<MembersSnapshot> WaitUntilAsync(Func<MembersSnapshot, bool> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(20));
        MembersSnapshot last;
        do
        {
            last = await MembersAsync();
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(20);
        }
        while (DateTime.UtcNow < until);

        var seen = string.Join(", ", last.Members.Select(m => $"{m.Address}={m.State}"));
        throw new TimeoutException($"{Address} did not see {what} in time; it sees [{seen}], rejected {last.PacketsRejected}");
    }

    /// <summary>Stops the actors (the membership actor leaves gracefully) and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await System.Terminate();
        _store?.Dispose();
    }
}
