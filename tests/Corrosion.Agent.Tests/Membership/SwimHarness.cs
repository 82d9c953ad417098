using System.Net;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>Drives one <see cref="Swim"/> core by hand: a fake clock, pending timers, captured outputs.</summary>
internal sealed class SwimHarness : ISwimRuntime
{
    private readonly List<(long Due, long Order, SwimTimer Timer)> _timers = [];
    private long _order;

    public SwimHarness(SwimOptions? options = null, int self = 1, int seed = 1, ushort clusterId = 1, Corrosion.Agent.Replication.Sync.SyncDigestBoard? digests = null)
    {
        Self = Identity(self, clusterId: clusterId);
        Swim = new Swim(Self, options ?? SwimOptions.Lan, new Random(seed), digests);
    }

    public MemberIdentity Self { get; }

    public Swim Swim { get; }

    public long Now { get; private set; }

    public List<(NodeAddress To, SwimPacket Packet, int Size)> Sent { get; } = [];

    public List<MemberNotification> Notifications { get; } = [];

    public List<TimerRequest> TimersSet { get; } = [];

    /// <summary>Timers the core cancelled (they are dropped from the pending ones, as the node's shell drops them).</summary>
    public List<SwimTimer> TimersCancelled { get; } = [];

    /// <summary>Timers set and neither fired nor cancelled yet.</summary>
    public IEnumerable<SwimTimer> PendingTimers => _timers.Select(t => t.Timer);

    public static NodeAddress Address(int n) => new(new IPAddress([10, 0, (byte)(n >> 8), (byte)n]), 7946);

    public static MemberIdentity Identity(int n, long incarnation = 0, long startedAt = 1_000, ushort clusterId = 1)
    {
        var bytes = new byte[16];
        bytes[15] = (byte)n;
        bytes[14] = (byte)(n >> 8);
        return new MemberIdentity(ActorId.FromBytes(bytes), Address(n), incarnation, clusterId, startedAt);
    }

    /// <summary>Starts the core knowing <paramref name="peers"/> as alive.</summary>
    public SwimHarness WithMembers(params int[] peers)
    {
        Swim.Restore(peers.Select(p => Identity(p)), Now, this);
        return this;
    }

    public void Receive(SwimMessageType type, MemberIdentity from, uint sequence = 0, NodeAddress target = default, params MemberUpdate[] updates) =>
        Swim.HandlePacket(SwimCodec.Encode(new SwimPacket(from.ClusterId, type, from, sequence, target, updates)), from.Address, Now, this);

    public void ReceiveRaw(byte[] data, int from = 99) => Swim.HandlePacket(data, Address(from), Now, this);

    /// <summary>Advances the clock, firing due timers in order.</summary>
    public void RunFor(long ms) => RunUntil(Now + ms);

    public void RunUntil(long time)
    {
        while (true)
        {
            var index = -1;
            for (var i = 0; i < _timers.Count; i++)
            {
                var t = _timers[i];
                if (t.Due <= time && (index < 0 || (t.Due, t.Order).CompareTo((_timers[index].Due, _timers[index].Order)) < 0))
                {
                    index = i;
                }
            }

            if (index < 0)
            {
                break;
            }

            var next = _timers[index];
            _timers.RemoveAt(index);
            Now = Math.Max(Now, next.Due);
            Swim.HandleTimer(next.Timer, Now, this);
        }

        Now = time;
    }

    /// <summary>Runs until the next timer of <paramref name="kind"/> fired; returns it.</summary>
    public SwimTimer RunUntilNext(SwimTimerKind kind)
    {
        var next = _timers.Where(t => t.Timer.Kind == kind).OrderBy(t => t.Due).ThenBy(t => t.Order).First();
        RunUntil(next.Due);
        return next.Timer;
    }

    public IEnumerable<(NodeAddress To, SwimPacket Packet, int Size)> SentOf(SwimMessageType type) => Sent.Where(s => s.Packet.Type == type);

    public void ClearOutputs()
    {
        Sent.Clear();
        Notifications.Clear();
        TimersSet.Clear();
        TimersCancelled.Clear();
    }

    public MemberState? StateOf(int n) => Swim.TryGetMember(Address(n), out var m) ? m!.State : null;

    public void Send(NodeAddress to, ReadOnlySpan<byte> packet)
    {
        if (!SwimCodec.TryDecode(packet, out var decoded, out var reason))
        {
            throw new InvalidOperationException($"core produced an undecodable packet: {reason}");
        }

        Sent.Add((to, decoded!, packet.Length));
    }

    public void SetTimer(SwimTimer timer, long delayMs)
    {
        TimersSet.Add(new TimerRequest(timer, delayMs));
        _timers.Add((Now + delayMs, ++_order, timer));
    }

    public void Notify(MemberNotification notification) => Notifications.Add(notification);

    public void CancelTimer(SwimTimer timer)
    {
        TimersCancelled.Add(timer);
        _timers.RemoveAll(t => t.Timer == timer);
    }
}
