using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Telemetry;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Membership;

/// <summary>
/// The shell around the sans-IO <see cref="Swim"/> core: owns the UDP socket on the gossip address, feeds
/// datagrams and timer ticks to the core, sends what it produces, publishes member events, joins through
/// the bootstrap list (resolved by DNS here) and keeps the member list in the database so a restarted
/// node can rejoin without it. Leaves gracefully when stopped.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The socket and its token are released in PostStop and PreRestart, the actor's end of life.")]
public sealed partial class MembershipActor : UntypedActor, IWithTimers
{
    /// <summary>
    /// Datagrams queued in the mailbox before the receive loop drops new ones: half of the mailbox
    /// (<see cref="NodeMailboxes.Membership"/>, 2048), so asks and subscriptions always find room.
    /// </summary>
    public const int MaxQueuedDatagrams = 1_024;

    private static readonly TimeSpan PersistDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(10);
    private static readonly object PersistKey = new();
    private static readonly object ResolveKey = new();
    private static readonly object PeriodicPersistKey = new();
    private static readonly object LoadKey = new();

    private readonly ActorId _id;
    private readonly IPEndPoint _bind;
    private readonly ushort _clusterId;
    private readonly MembershipOptions _options;
    private readonly ActorRef<StorageCommand>? _storage;
    private readonly int? _seed;
    // Per subscriber: the number of the last event sent to it (its events are numbered 1, 2, 3, …).
    private readonly Dictionary<ActorRef<MemberEvent>, long> _subscribers = [];
    private readonly Runtime _runtime;
    private readonly TimeProvider _time;
    private readonly NodeTelemetry? _telemetry;
    private readonly Replication.Sync.SyncDigestBoard? _digests;
    private readonly ILogger _log;
    private Swim? _core;
    private Socket? _socket;
    private CancellationTokenSource? _stopping;
    private long _clockOrigin;
    private long _timerKey;
    private int _queuedDatagrams;
    private long _droppedDatagrams;
    private long _sendErrors;
    private int _resolveAttempt;
    private bool _loaded;
    private bool _refusals;

    /// <summary>Creates the actor.</summary>
    /// <param name="id">This node's actor id (the store's site id).</param>
    /// <param name="bind">The UDP address to bind (<c>gossip.addr</c>; port 0 picks one).</param>
    /// <param name="clusterId">The cluster id (<c>gossip.cluster_id</c>).</param>
    /// <param name="options">The <c>membership</c> section.</param>
    /// <param name="storage">Where members are persisted; null keeps them in memory only.</param>
    /// <param name="seed">Seed of the core's Random; null derives one from the id and the start time.</param>
    /// <param name="time">The clock the core reads; null for the system clock (timers run on Akka's scheduler).</param>
    /// <param name="telemetry">The node's live figures (members by state, probes); null records none.</param>
    /// <param name="digests">Sync digests shared with gossip: ours rides on every datagram, members' are recorded; null carries none.</param>
    public MembershipActor(ActorId id, IPEndPoint bind, ushort clusterId, MembershipOptions options, ActorRef<StorageCommand>? storage, int? seed = null, TimeProvider? time = null, NodeTelemetry? telemetry = null, Replication.Sync.SyncDigestBoard? digests = null)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(options);
        _id = id;
        _bind = bind;
        _clusterId = clusterId;
        _options = options;
        _storage = storage;
        _seed = seed;
        _time = time ?? TimeProvider.System;
        _telemetry = telemetry;
        _digests = digests;
        _runtime = new Runtime(this);
        _log = Context.LoggerFor<MembershipActor>();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case DatagramReceived datagram:
                Interlocked.Decrement(ref _queuedDatagrams);
                Core.HandlePacket(datagram.Data, datagram.From, NowMs, _runtime);
                break;
            case DatagramsRefused refused:
                foreach (var to in refused.To)
                {
                    Core.HandleRefused(to, NowMs, _runtime);
                }

                break;
            case SwimTimerFired fired:
                Core.HandleTimer(fired.Timer, NowMs, _runtime);
                PublishTelemetry();
                break;
            case GetMembers get:
                get.ReplyTo.Tell(Snapshot());
                break;
            case SubscribeMembers subscribe:
                // Again from the same subscriber (a resync): numbering and replay start over, still one subscription.
                _subscribers[subscribe.Subscriber] = 0;
                foreach (var member in Core.Members.Where(m => m.State is MemberState.Alive or MemberState.Suspect))
                {
                    Publish(subscribe.Subscriber, MemberNotificationKind.MemberUp, member.Identity, returned: false);
                }

                break;
            case BootstrapResolved resolved:
                OnBootstrapResolved(resolved);
                break;
            case ResolveBootstrap:
                if (Core.ActiveMemberCount == 0)
                {
                    StartResolving();
                }

                break;
            case Rejoin rejoin:
                OnRejoin(rejoin);
                break;
            case PersistMembers:
                Persist();
                break;
            case IReadOnlyList<StoredMember> stored:
                Loaded(stored, null);
                break;
            case MembersLoadTimedOut:
                Loaded([], "no answer from storage in time");
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRejoin(Rejoin rejoin)
    {
        var known = Core.Members.Where(m => m.State != MemberState.Left).Select(m => m.Address).ToList();
        Core.Join(known, NowMs, _runtime);
        if (_options.Bootstrap.Count > 0)
        {
            StartResolving();
        }

        rejoin.ReplyTo.Tell(new RejoinOutcome(known.Count, _options.Bootstrap.Count));
    }

    private long NowMs => (long)_time.GetElapsedTime(_clockOrigin).TotalMilliseconds;

    private Swim Core => _core ?? throw new InvalidOperationException("membership is not started");

    /// <summary>The actor's props, with its bounded mailbox (<see cref="NodeMailboxes.Membership"/>).</summary>
    /// <param name="id">This node's actor id (the store's site id).</param>
    /// <param name="bind">The UDP address to bind.</param>
    /// <param name="clusterId">The cluster id.</param>
    /// <param name="options">The <c>membership</c> section.</param>
    /// <param name="storage">Where members are persisted; null keeps them in memory only.</param>
    /// <param name="seed">Seed of the core's Random; null derives one.</param>
    /// <param name="time">The core's clock; null for the system clock.</param>
    /// <param name="telemetry">The node's live figures; null records none.</param>
    /// <param name="digests">Sync digests shared with gossip; null carries none.</param>
    /// <returns>The props.</returns>
    public static Props Props(ActorId id, IPEndPoint bind, ushort clusterId, MembershipOptions options, ActorRef<StorageCommand>? storage, int? seed = null, TimeProvider? time = null, NodeTelemetry? telemetry = null, Replication.Sync.SyncDigestBoard? digests = null) =>
        Akka.Actor.Props.Create(() => new MembershipActor(id, bind, clusterId, options, storage, seed, time, telemetry, digests)).WithMailbox(NodeMailboxes.Membership);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _options.Validate();
        _clockOrigin = _time.GetTimestamp();
        var socket = new Socket(_bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(_bind);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException($"membership cannot bind UDP {_bind} (gossip.addr): {e.Message}", e);
        }

        _socket = socket;
        _refusals = _options.Swim.RefusedIsFailedProbe && UdpRefusals.Enable(socket);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        var address = _options.AdvertiseAddr.Length > 0 ? NodeAddress.Parse(_options.AdvertiseAddr) : NodeAddress.FromEndPoint(bound);
        if (address.Host.Equals(IPAddress.Any) || address.Host.Equals(IPAddress.IPv6Any))
        {
            throw new InvalidOperationException($"configuration key membership.advertise_addr must be set when gossip.addr binds the wildcard address {bound}");
        }

        var startedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var identity = new MemberIdentity(_id, address, 0, _clusterId, startedAt);
        var random = new Random(_seed ?? HashCode.Combine(_id, startedAt));
        _core = new Swim(identity, _options.Swim, random, _digests);
        _core.Join([], NowMs, _runtime);
        _stopping = new CancellationTokenSource();
        if (_storage is null)
        {
            Loaded([], null);
            return;
        }

        // Members remembered from the last run come back from storage as a message; until then no
        // datagram is read, so the core restores them before it hears from anyone.
        _storage.Tell(new LoadMembers(Self.Typed<IReadOnlyList<StoredMember>>()), Self);
        Timers.StartSingleTimer(LoadKey, MembersLoadTimedOut.Instance, LoadTimeout);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_core is { HasLeft: false } core && _socket is not null)
        {
            // Tell a few members at once, so the cluster marks this node left instead of suspecting it.
            core.Leave(NowMs, _runtime);
            LogLeft(_log, _id, core.Identity.Address);
        }

        Persist();
        CloseSocket();
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        // A restart is a new life of this node at the same address: the others replace the old one.
        CloseSocket();
        base.PreRestart(reason, message);
    }

    private void Loaded(IReadOnlyList<StoredMember> stored, string? error)
    {
        if (_loaded)
        {
            return;
        }

        _loaded = true;
        Timers.Cancel(LoadKey);
        if (error is not null)
        {
            LogLoadFailed(_log, error);
        }

        var address = Core.Identity.Address;
        var restored = Restorable(stored, address);
        if (restored.Count > 0)
        {
            Core.Restore(restored, NowMs, _runtime);
        }

        if (_storage is not null)
        {
            // Notifications trigger a save; this also drops members the core forgot quietly after down_retention.
            Timers.StartPeriodicTimer(PeriodicPersistKey, PersistMembers.Instance, TimeSpan.FromMilliseconds(_options.Swim.DownRetentionMs));
        }

        _ = ReceiveLoopAsync(_socket!, Self.Typed<MembershipCommand>(), _refusals, _stopping!.Token);
        LogStarted(_log, _id, address, (IPEndPoint)_socket!.LocalEndPoint!, _options.Profile, restored.Count, _options.Bootstrap.Count);
        if (_options.Bootstrap.Count > 0)
        {
            StartResolving();
        }
    }

    /// <summary>Members by state and the probe counters, for the gauges (after each timer: about once per probe period).</summary>
    private void PublishTelemetry()
    {
        if (_telemetry is null || _core is not { } core)
        {
            return;
        }

        long alive = 1, suspect = 0, down = 0;
        foreach (var member in core.Members)
        {
            switch (member.State)
            {
                case MemberState.Alive: alive++; break;
                case MemberState.Suspect: suspect++; break;
                case MemberState.Down: down++; break;
            }
        }

        var c = core.Counters;
        _telemetry.SetMembership(alive, suspect, down, core.LocalHealth, c.Probes, c.FailedProbes, c.Suspicions, c.Refutations, c.MembersRefused);
    }

    private MembersSnapshot Snapshot()
    {
        var core = Core;
        var self = new MemberInfo(core.Identity, MemberState.Alive, null);
        return new MembersSnapshot(self, core.Members, core.Counters.PacketsReceived, core.Counters.TotalRejected, Interlocked.Read(ref _droppedDatagrams));
    }

    private List<MemberIdentity> Restorable(IReadOnlyList<StoredMember> stored, NodeAddress self)
    {
        var restored = new List<MemberIdentity>();
        foreach (var member in stored)
        {
            if (member.Id == _id || member.ClusterId != _clusterId || !NodeAddress.TryParse(member.Address, out var address) || address == self)
            {
                continue;
            }

            restored.Add(new MemberIdentity(member.Id, address, member.Incarnation, member.ClusterId, member.StartedAtMs));
        }

        return restored;
    }

    private void Persist()
    {
        if (_storage is null || _core is null)
        {
            return;
        }

        var members = _core.Members
            .Where(m => m.State != MemberState.Left)
            .Select(m => new StoredMember(m.Id, m.Address.ToString(), m.Incarnation, m.Identity.ClusterId, m.Identity.StartedAtMs, StateName(m.State)))
            .ToList();
        _storage.Tell(new SaveMembers(members));
    }

    private void StartResolving()
    {
        var self = Self.Typed<MembershipCommand>();
        var family = _bind.AddressFamily;
        var entries = _options.Bootstrap;
        var token = _stopping?.Token ?? CancellationToken.None;
        _ = Task.Run(
            async () =>
            {
                var (addresses, error) = await ResolveAsync(entries, family, token);
                self.Tell(new BootstrapResolved(addresses, error));
            },
            token);
    }

    private static async Task<(IReadOnlyList<NodeAddress> Addresses, string? Error)> ResolveAsync(
        IReadOnlyList<string> entries, AddressFamily family, CancellationToken cancellationToken)
    {
        var addresses = new List<NodeAddress>();
        var errors = new List<string>();
        foreach (var entry in entries)
        {
            if (!MembershipOptions.TrySplitHostPort(entry, out var host, out var port))
            {
                errors.Add($"{entry}: not host:port");
                continue;
            }

            if (IPAddress.TryParse(host, out var literal))
            {
                addresses.Add(new NodeAddress(literal, port));
                continue;
            }

            try
            {
                var found = await Dns.GetHostAddressesAsync(host, cancellationToken);
                var usable = found.Where(a => a.AddressFamily == family).ToList();
                if (usable.Count == 0)
                {
                    errors.Add($"{host}: no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
                }

                addresses.AddRange(usable.Select(a => new NodeAddress(a, port)));
            }
            catch (SocketException e)
            {
                errors.Add($"{host}: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (addresses.Distinct().ToList(), errors.Count == 0 ? null : string.Join("; ", errors));
    }

    private void OnBootstrapResolved(BootstrapResolved resolved)
    {
        if (resolved.Error is not null)
        {
            LogResolveFailed(_log, resolved.Error);
        }

        if (resolved.Addresses.Count > 0)
        {
            // The core announces now and again with back-off until a member answers.
            _resolveAttempt = 0;
            Core.Join(resolved.Addresses, NowMs, _runtime);
            return;
        }

        // Nothing to announce to yet (DNS not ready): resolve again with back-off.
        _resolveAttempt = Math.Min(_resolveAttempt + 1, 16);
        var delay = Math.Min(_options.Swim.JoinRetryMaxMs, _options.Swim.ProbeIntervalMs << _resolveAttempt);
        Timers.StartSingleTimer(ResolveKey, ResolveBootstrap.Instance, TimeSpan.FromMilliseconds(delay));
    }

    private void OnNotification(MemberNotification notification)
    {
        LogMemberChanged(_log, notification.Returned ? "back" : KindName(notification.Kind), notification.Member.Id, notification.Member.Address, notification.Member.Incarnation);
        foreach (var subscriber in _subscribers.Keys.ToList())
        {
            Publish(subscriber, notification.Kind, notification.Member, notification.Returned);
        }

        if (_storage is not null && !Timers.IsTimerActive(PersistKey))
        {
            Timers.StartSingleTimer(PersistKey, PersistMembers.Instance, PersistDelay);
        }
    }

    private void Publish(ActorRef<MemberEvent> subscriber, MemberNotificationKind kind, MemberIdentity member, bool returned)
    {
        var sequence = _subscribers[subscriber] + 1;
        _subscribers[subscriber] = sequence;
        subscriber.Tell(new MemberEvent(kind, member, returned, sequence));
    }

    private void SetTimer(SwimTimer timer, long delayMs)
    {
        // Probe and relay timeouts are keyed by the timer itself (its sequence makes it unique), so the core can
        // cancel them once answered; the others are never cancelled (stale ones are ignored by the core), so each
        // gets its own key.
        object key = IsCancellable(timer) ? timer : ++_timerKey;
        Timers.StartSingleTimer(key, new SwimTimerFired(timer), TimeSpan.FromMilliseconds(Math.Max(0, delayMs)));
    }

    private void CancelTimer(SwimTimer timer)
    {
        if (IsCancellable(timer))
        {
            Timers.Cancel(timer);
        }
    }

    private static bool IsCancellable(SwimTimer timer) => timer.Kind is SwimTimerKind.ProbeTimeout or SwimTimerKind.RelayTimeout;

    private void Send(NodeAddress to, ReadOnlySpan<byte> packet)
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.SendTo(packet, SocketFlags.None, to.ToEndPoint());
        }
        catch (SocketException e) when (_refusals && e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // The error is an earlier datagram's refusal, reported on this send (which it cancelled): read which
            // one, then send this datagram again.
            ReportRefused(socket, Self.Typed<MembershipCommand>());
            try
            {
                socket.SendTo(packet, SocketFlags.None, to.ToEndPoint());
            }
            catch (SocketException)
            {
                _sendErrors++;
            }
            catch (ObjectDisposedException)
            {
            }
        }
        catch (SocketException e)
        {
            // UDP is lossy anyway; SWIM treats an unsent probe like a lost one.
            if (_sendErrors++ % 100 == 0)
            {
                LogSendFailed(_log, to, e.SocketErrorCode);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads the socket's error queue and tells the actor which destinations refused datagrams.</summary>
    private static void ReportRefused(Socket socket, ActorRef<MembershipCommand> self)
    {
        var refused = new List<NodeAddress>();
        UdpRefusals.Drain(socket, refused);
        if (refused.Count > 0)
        {
            self.Tell(new DatagramsRefused(refused));
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, ActorRef<MembershipCommand> self, bool refusals, CancellationToken cancellationToken)
    {
        var buffer = new byte[65_536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Shutdown or SocketError.NotSocket)
            {
                return;
            }
            catch (SocketException e) when (refusals && e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // A host refused one of our datagrams (IP_RECVERR): which one is in the error queue.
                ReportRefused(socket, self);
                continue;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier send (port unreachable): not about this socket. The pause
                // keeps a persistent error from spinning a core.
                await Task.Delay(1, CancellationToken.None);
                continue;
            }

            if (Interlocked.Increment(ref _queuedDatagrams) > MaxQueuedDatagrams)
            {
                // Overloaded: drop here (the sender will retry or suspect us) and keep room for timer ticks.
                Interlocked.Decrement(ref _queuedDatagrams);
                Interlocked.Increment(ref _droppedDatagrams);
                continue;
            }

            var data = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var from = NodeAddress.FromEndPoint((IPEndPoint)received.RemoteEndPoint);
            // Never blocks: datagrams are capped at half of the mailbox.
            self.Tell(new DatagramReceived(data, from));
        }
    }

    private void CloseSocket()
    {
        _stopping?.Cancel();
        _stopping?.Dispose();
        _stopping = null;
        _socket?.Dispose();
        _socket = null;
    }

    private static string StateName(MemberState state) => state.ToString().ToLowerInvariant();

    private static string KindName(MemberNotificationKind kind) => kind switch
    {
        MemberNotificationKind.MemberUp => "up",
        MemberNotificationKind.MemberSuspect => "suspect",
        MemberNotificationKind.MemberDown => "down",
        MemberNotificationKind.MemberLeft => "left",
        _ => kind.ToString(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "membership {ActorId} on {Address} (bound {Bound}, profile {Profile}): restored {Restored} members, {Bootstrap} bootstrap entries")]
    private static partial void LogStarted(ILogger logger, ActorId actorId, NodeAddress address, IPEndPoint bound, string profile, int restored, int bootstrap);

    [LoggerMessage(Level = LogLevel.Information, Message = "member {Kind}: {ActorId} at {Address} (incarnation {Incarnation})")]
    private static partial void LogMemberChanged(ILogger logger, string kind, ActorId actorId, NodeAddress address, long incarnation);

    [LoggerMessage(Level = LogLevel.Information, Message = "membership {ActorId} at {Address} left the cluster")]
    private static partial void LogLeft(ILogger logger, ActorId actorId, NodeAddress address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not resolve bootstrap members: {Error}")]
    private static partial void LogResolveFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not load persisted members: {Error}")]
    private static partial void LogLoadFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP send to {To} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, NodeAddress to, SocketError error);

    private sealed class Runtime(MembershipActor actor) : ISwimRuntime
    {
        public void Send(NodeAddress to, ReadOnlySpan<byte> packet) => actor.Send(to, packet);

        public void SetTimer(SwimTimer timer, long delayMs) => actor.SetTimer(timer, delayMs);

        public void Notify(MemberNotification notification) => actor.OnNotification(notification);

        public void CancelTimer(SwimTimer timer) => actor.CancelTimer(timer);
    }
}
