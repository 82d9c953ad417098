using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Membership;

/// <summary>
/// Sans-IO SWIM membership with Lifeguard, in the shape of foca: it is fed datagrams, timer events and
/// commands together with the current time, and answers through an <see cref="ISwimRuntime"/>
/// (datagrams to send, timers to set, membership notifications). No sockets, threads or clocks inside;
/// randomness comes from the injected <see cref="Random"/>. Not thread-safe: one caller (the actor) at a time.
/// </summary>
public sealed partial class Swim
{
    private const int MaxPendingRelays = 1_024;

    private readonly SwimOptions _options;
    private readonly Random _random;
    private readonly Dictionary<NodeAddress, MemberEntry> _members = [];
    private readonly List<NodeAddress> _active = [];
    private readonly Dictionary<NodeAddress, int> _activeIndex = [];
    private readonly List<NodeAddress> _probeOrder = [];
    private readonly BroadcastQueue _broadcasts = new();
    private readonly Dictionary<uint, Relay> _relays = [];
    private readonly List<NodeAddress> _bootstrap = [];
    private readonly byte[] _buffer;
    private readonly Func<MemberUpdate, bool> _tryWrite;
    private readonly SyncDigestBoard? _digests;
    private MemberIdentity _self;
    private Probe? _probe;
    private int _probeIndex;
    private uint _sequence;
    private long _timerToken;
    private long _joinToken;
    private int _joinAttempt;
    private int _localHealth;
    private bool _started;
    private bool _gossipArmed;
    private bool _left;
    private int _writePosition;
    private int _writeCount;
    private int _countAt;
    private int _writeLimit;

    /// <summary>Creates the core for this node.</summary>
    /// <param name="identity">This node's identity.</param>
    /// <param name="options">Tuning (see <see cref="SwimOptions.Lan"/>).</param>
    /// <param name="random">Seeded source of randomness (probe order, member choice).</param>
    /// <param name="digests">Where this node's sync digest is read for every datagram sent and members' digests are recorded; null sends and records none.</param>
    public Swim(MemberIdentity identity, SwimOptions options, Random random, SyncDigestBoard? digests = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        _self = identity;
        _options = options.Validate();
        _random = random;
        _buffer = new byte[options.MaxPacketSize];
        _tryWrite = TryWriteUpdate;
        _digests = digests;
    }

    /// <summary>This node's identity (its incarnation rises when it refutes suspicion).</summary>
    public MemberIdentity Identity => _self;

    /// <summary>The options in use.</summary>
    public SwimOptions Options => _options;

    /// <summary>Lifeguard's local-health multiplier (0 = healthy, up to <see cref="SwimOptions.MaxLocalHealth"/>).</summary>
    public int LocalHealth => _localHealth;

    /// <summary>Counters of accepted and dropped input.</summary>
    public SwimCounters Counters { get; } = new();

    /// <summary>Whether <see cref="Leave"/> was called.</summary>
    public bool HasLeft => _left;

    /// <summary>Number of other members currently alive or suspect.</summary>
    public int ActiveMemberCount => _active.Count;

    /// <summary>Number of updates waiting to be piggybacked.</summary>
    public int PendingBroadcasts => _broadcasts.Count;

    /// <summary>A snapshot of the other members known (including down and left ones still remembered).</summary>
    public IReadOnlyList<MemberInfo> Members => _members.Values.Select(e => e.ToInfo()).ToList();

    /// <summary>The probe period in force now (stretched by local health when Lifeguard is on).</summary>
    public long CurrentProbeIntervalMs => Scale(_options.ProbeIntervalMs);

    /// <summary>The direct-ack timeout in force now.</summary>
    public long CurrentProbeTimeoutMs => Scale(_options.ProbeTimeoutMs);

    /// <summary>Looks up one member by address.</summary>
    public bool TryGetMember(NodeAddress address, out MemberInfo? member)
    {
        if (_members.TryGetValue(address, out var entry))
        {
            member = entry.ToInfo();
            return true;
        }

        member = null;
        return false;
    }

    /// <summary>
    /// Joins through bootstrap addresses (names already resolved by the shell; this node's own address
    /// is skipped). Announces to all of them and re-announces with back-off until some member answers.
    /// With an empty list the node just starts and waits to be joined.
    /// </summary>
    public void Join(IEnumerable<NodeAddress> bootstrap, long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left)
        {
            return;
        }

        EnsureStarted(runtime);
        foreach (var address in bootstrap)
        {
            if (address.IsSpecified && address != _self.Address && !_bootstrap.Contains(address))
            {
                _bootstrap.Add(address);
            }
        }

        if (_bootstrap.Count == 0)
        {
            return;
        }

        _joinAttempt = 0;
        Announce(nowMs, runtime);
        runtime.SetTimer(new SwimTimer(SwimTimerKind.JoinRetry, ++_joinToken), _options.ProbeIntervalMs);
    }

    /// <summary>
    /// Adds members known from an earlier life (persisted by the shell) as alive, without gossiping
    /// them: probing will find out whether they still are.
    /// </summary>
    public void Restore(IEnumerable<MemberIdentity> members, long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left)
        {
            return;
        }

        EnsureStarted(runtime);
        foreach (var member in members)
        {
            if (member.ClusterId == _self.ClusterId)
            {
                Apply(new MemberUpdate(member, MemberState.Alive), nowMs, runtime, rebroadcast: false);
            }
        }

        ArmGossip(nowMs, runtime);
    }

    /// <summary>
    /// Leaves gracefully: tells a few members at once that this node left (they spread it), so nobody
    /// has to suspect it. The core ignores all input afterwards.
    /// </summary>
    public void Leave(long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left)
        {
            return;
        }

        _broadcasts.Enqueue(new MemberUpdate(_self, MemberState.Left));
        var fanout = Math.Max(1, 2 * Math.Max(_options.GossipFanout, _options.IndirectProbes));
        foreach (var to in PickActive(fanout, default, default))
        {
            Send(to, SwimMessageType.Gossip, 0, default, runtime);
        }

        _left = true;
    }

    /// <summary>Handles one datagram. Malformed or foreign packets are counted and dropped; never throws for bad input.</summary>
    /// <param name="data">The datagram.</param>
    /// <param name="from">Transport source; replies go to the sender's announced address in the packet instead.</param>
    /// <param name="nowMs">Current time in milliseconds (any monotonic origin, the same for all calls).</param>
    /// <param name="runtime">Receives the outputs.</param>
    public void HandlePacket(ReadOnlySpan<byte> data, NodeAddress from, long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left)
        {
            Counters.Reject(PacketRejectReason.AfterLeave);
            return;
        }

        if (!SwimCodec.TryDecode(data, out var packet, out var reason))
        {
            Counters.Reject(reason);
            return;
        }

        if (packet!.ClusterId != _self.ClusterId)
        {
            Counters.Reject(PacketRejectReason.ForeignCluster);
            return;
        }

        var sender = packet.Sender;
        if (sender.Address == _self.Address)
        {
            Counters.Reject(PacketRejectReason.FromSelf);
            return;
        }

        Counters.PacketsReceived++;
        _digests?.Record(sender.Id, packet.Digest);
        EnsureStarted(runtime);
        Apply(new MemberUpdate(sender, MemberState.Alive), nowMs, runtime, rebroadcast: true);
        foreach (var update in packet.Updates)
        {
            Apply(update, nowMs, runtime, rebroadcast: true);
        }

        // A member we hold down is still talking to us: tell it, so it can refute with a higher incarnation.
        var replyTo = sender.Address;
        if (_members.TryGetValue(replyTo, out var senderEntry) && senderEntry.State == MemberState.Down
            && senderEntry.Identity.IsSameLifeAs(sender) && packet.Type is not SwimMessageType.Ping and not SwimMessageType.Announce)
        {
            Send(replyTo, SwimMessageType.Gossip, 0, default, runtime);
        }

        switch (packet.Type)
        {
            case SwimMessageType.Ping:
                Send(replyTo, SwimMessageType.Ack, packet.Sequence, default, runtime);
                break;
            case SwimMessageType.Ack:
                OnAck(packet.Sequence, replyTo, nowMs, runtime);
                break;
            case SwimMessageType.PingReq:
                OnPingReq(packet.Sequence, replyTo, packet.Target, runtime);
                break;
            case SwimMessageType.Nack:
                if (_probe is { } probe && probe.Sequence == packet.Sequence)
                {
                    probe.Nacks++;
                }

                break;
            case SwimMessageType.Announce:
                Send(replyTo, SwimMessageType.Feed, 0, default, runtime);
                break;
            default:
                break;
        }

        ArmGossip(nowMs, runtime);
    }

    /// <summary>
    /// Handles a datagram to <paramref name="to"/> that its host refused (ICMP port unreachable, read by the shell
    /// from the socket's error queue): nothing listens at that address, so a probe of it has failed already, and a
    /// relayed ping is nacked at once. Ignored when <see cref="SwimOptions.RefusedIsFailedProbe"/> is off.
    /// </summary>
    /// <param name="to">The destination of the refused datagram.</param>
    /// <param name="nowMs">Current time in milliseconds.</param>
    /// <param name="runtime">Receives the outputs.</param>
    public void HandleRefused(NodeAddress to, long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left || !_options.RefusedIsFailedProbe || !to.IsSpecified || to == _self.Address)
        {
            return;
        }

        OnRefused(to, nowMs, runtime);
        ArmGossip(nowMs, runtime);
    }

    /// <summary>Handles a timer the core set earlier. Timers that no longer match the state are ignored.</summary>
    public void HandleTimer(SwimTimer timer, long nowMs, ISwimRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (_left)
        {
            return;
        }

        switch (timer.Kind)
        {
            case SwimTimerKind.ProbeTick:
                OnProbeTick(nowMs, runtime);
                break;
            case SwimTimerKind.ProbeTimeout:
                OnProbeTimeout((uint)timer.Token, runtime);
                break;
            case SwimTimerKind.SuspicionTimeout:
                OnSuspicionTimeout(timer, nowMs, runtime);
                break;
            case SwimTimerKind.ForgetMember:
                if (_members.TryGetValue(timer.Member, out var entry) && entry.TimerToken == timer.Token && !entry.IsActive)
                {
                    _members.Remove(timer.Member);
                }

                break;
            case SwimTimerKind.JoinRetry:
                OnJoinRetry(timer.Token, nowMs, runtime);
                break;
            case SwimTimerKind.GossipTick:
                OnGossipTick(runtime);
                break;
            case SwimTimerKind.Reconnect:
                OnReconnect(runtime);
                break;
            case SwimTimerKind.Reprobe:
                OnReprobe(timer, runtime);
                break;
            case SwimTimerKind.RelayTimeout:
                if (_relays.Remove((uint)timer.Token, out var relay) && _options.LifeguardEnabled)
                {
                    Send(relay.Origin, SwimMessageType.Nack, relay.OriginSequence, default, runtime);
                }

                break;
            default:
                break;
        }

        ArmGossip(nowMs, runtime);
    }

    private void EnsureStarted(ISwimRuntime runtime)
    {
        if (_started)
        {
            return;
        }

        _started = true;

        // Spread first probes over a period so that nodes started together do not probe in lockstep.
        runtime.SetTimer(new SwimTimer(SwimTimerKind.ProbeTick, 0), 1 + _random.NextInt64(_options.ProbeIntervalMs));
        if (_options.ReconnectIntervalMs > 0)
        {
            runtime.SetTimer(new SwimTimer(SwimTimerKind.Reconnect, 0), _options.ReconnectIntervalMs);
        }
    }

    private void OnReconnect(ISwimRuntime runtime)
    {
        runtime.SetTimer(new SwimTimer(SwimTimerKind.Reconnect, 0), _options.ReconnectIntervalMs);

        // Members held down are re-probed each on its own back-off (OnReprobe); this covers bootstrap
        // addresses that are neither alive nor remembered (forgotten, or never answered).
        var lost = _bootstrap.Where(a => !_activeIndex.ContainsKey(a) && !(_members.TryGetValue(a, out var e) && e.State == MemberState.Down)).ToList();
        if (lost.Count > 0)
        {
            Send(lost[_random.Next(lost.Count)], SwimMessageType.Announce, 0, default, runtime);
        }
    }

    private void Announce(long nowMs, ISwimRuntime runtime)
    {
        _ = nowMs;
        foreach (var address in _bootstrap)
        {
            Send(address, SwimMessageType.Announce, 0, default, runtime);
        }
    }

    private void OnJoinRetry(long token, long nowMs, ISwimRuntime runtime)
    {
        if (token != _joinToken || _active.Count > 0)
        {
            return;
        }

        Announce(nowMs, runtime);
        _joinAttempt = Math.Min(_joinAttempt + 1, 20);
        var delay = Math.Min(_options.JoinRetryMaxMs, _options.ProbeIntervalMs << Math.Min(_joinAttempt, 16));
        runtime.SetTimer(new SwimTimer(SwimTimerKind.JoinRetry, token), Math.Max(_options.ProbeIntervalMs, delay));
    }

    private void OnGossipTick(ISwimRuntime runtime)
    {
        // HandleTimer re-arms the tick afterwards while updates are still pending.
        _gossipArmed = false;
        if (_broadcasts.Count > 0)
        {
            foreach (var to in PickActive(_options.GossipFanout, default, default))
            {
                Send(to, SwimMessageType.Gossip, 0, default, runtime);
            }
        }
    }

    /// <summary>
    /// Sets the gossip tick while updates wait and someone can receive them, so an idle node (or a
    /// node alone) sets no timer between probes. The tick keeps the grid of a free-running one
    /// (multiples of the interval), so an update waits for it as long as it did before.
    /// </summary>
    private void ArmGossip(long nowMs, ISwimRuntime runtime)
    {
        var interval = _options.GossipIntervalMs;
        if (_gossipArmed || _left || interval <= 0 || _broadcasts.Count == 0 || _active.Count == 0)
        {
            return;
        }

        _gossipArmed = true;
        runtime.SetTimer(new SwimTimer(SwimTimerKind.GossipTick, 0), interval - (((nowMs % interval) + interval) % interval));
    }

    private long Scale(long value) => _options.LifeguardEnabled ? value * (1 + _localHealth) : value;

    private void AdjustLocalHealth(int delta)
    {
        if (_options.LifeguardEnabled)
        {
            _localHealth = Math.Clamp(_localHealth + delta, 0, _options.MaxLocalHealth);
        }
    }

    private sealed class Probe(uint sequence, NodeAddress target, long sentAtMs)
    {
        public uint Sequence { get; } = sequence;

        public NodeAddress Target { get; } = target;

        public long SentAtMs { get; } = sentAtMs;

        public bool Acked { get; set; }

        public int ExpectedNacks { get; set; }

        public int Nacks { get; set; }
    }

    private readonly record struct Relay(NodeAddress Origin, uint OriginSequence, NodeAddress Target);
}
