using System.Net;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>
/// Sans-IO broadcast scheduling (DESIGN.md §5): decides which payloads go to which peers. In a small
/// cluster (at most <see cref="BroadcastOptions.DirectMax"/> other live members) a new local payload goes to
/// every member at once; otherwise it goes at once to the nearest ring (lowest known RTT) and <see cref="BroadcastOptions.Fanout"/>
/// random live members; a payload first seen from a peer is re-broadcast the same way (without the
/// ring), never back to that peer nor to its origin — except that in a small cluster a payload received for the first
/// time (from its origin or from a relayer) goes to only <see cref="BroadcastOptions.DirectRelay"/> members (the origin
/// already sent it to everyone); duplicates are dropped. Each payload is sent at most
/// <c>retransmit_mult × ceil(log10(n + 1))</c> times (n = live members including this node, when the
/// payload arrived), never twice to one peer; the rest of that budget is spent on later
/// <see cref="Tick"/>s to other random members until it is gone or every live member has the payload.
/// No sockets, timers or clocks inside; randomness comes from the injected <see cref="Random"/>.
/// Not thread-safe: one caller (the gossip actor) at a time.
/// </summary>
/// <remarks>
/// Driving it from a shell: forward membership up/down (and RTTs) as they are published; on
/// <c>ChangesCommitted</c> call <see cref="Local(PayloadId, Func{ReadOnlyMemory{byte}}, long)"/> with <see cref="PayloadId.Of"/> of each chunk and an
/// encoder of its frame; on a broadcast frame call <see cref="Received"/> and merge only when it is not a
/// duplicate; on a sync answer call <see cref="MarkSeen"/>; call <see cref="Tick"/> every
/// <see cref="BroadcastOptions.RetransmitInterval"/> or so; hand every <see cref="BroadcastSend"/> to the
/// transport at once (the transport coalesces) and export <see cref="Counters"/> as metrics.
/// </remarks>
public sealed class BroadcastPlanner
{
    private static readonly IReadOnlyList<BroadcastSend> NoSends = [];

    private readonly Random _random;
    private readonly Dictionary<ActorId, Member> _members = [];
    private readonly List<ActorId> _live = [];
    private readonly Dictionary<ActorId, int> _liveIndex = [];
    private readonly SeenPayloads _seen;
    private Dictionary<PayloadId, Pending> _pending = [];
    private readonly LinkedList<Pending> _pendingOrder = new();
    private readonly List<ActorId> _chosen = [];
    private readonly List<ActorId> _scratch = [];
    private readonly List<ActorId> _nearest = [];
    private bool _nearestDirty;
    private readonly long _retransmitIntervalMs;

    /// <summary>Creates the planner for this node.</summary>
    /// <param name="self">This node's actor id (never a target).</param>
    /// <param name="options">Tuning; validated here.</param>
    /// <param name="random">Seeded source of randomness (target choice).</param>
    public BroadcastPlanner(ActorId self, BroadcastOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        Self = self;
        Options = options.Validate();
        _random = random;
        _seen = new SeenPayloads(options.SeenCapacity);
        _retransmitIntervalMs = Math.Max(1, (long)options.RetransmitInterval.TotalMilliseconds);
    }

    /// <summary>This node's actor id.</summary>
    public ActorId Self { get; }

    /// <summary>The options in use.</summary>
    public BroadcastOptions Options { get; }

    /// <summary>Counters of what was sent and dropped.</summary>
    public BroadcastCounters Counters { get; } = new();

    /// <summary>Live members other than this node.</summary>
    public int LiveMemberCount => _live.Count;

    /// <summary>Payloads waiting for later transmissions.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Payload ids remembered to drop duplicates.</summary>
    public int SeenCount => _seen.Count;

    /// <summary>Ids a quiet node keeps when it gives memory back (<see cref="ForgetSeen"/>): the latest ones, whose duplicates may still be on their way.</summary>
    public const int QuietSeenKeep = 1_024;

    /// <summary>
    /// The node went quiet after a burst: forgets all but the <paramref name="keep"/> most recently seen
    /// payload ids (their duplicates come within a few retransmission intervals; one arriving later is
    /// merged as a no-op and relayed once more). Pending payloads are kept.
    /// </summary>
    /// <returns>How many ids were forgotten.</returns>
    public int ForgetSeen(int keep = QuietSeenKeep) => _seen.Forget(keep);

    /// <summary>
    /// The node went quiet while no member is live (a node alone, or cut off): drops the payloads kept for
    /// later transmissions (up to <see cref="BroadcastOptions.MaxPending"/> of them, kept for nobody) and
    /// gives back the queue's room. A member that comes up later gets them by sync, as after any drop.
    /// Nothing is dropped while a member is live.
    /// </summary>
    /// <returns>How many payloads were dropped.</returns>
    public int DropPendingWhileAlone()
    {
        if (_live.Count > 0 || _pending.Count == 0)
        {
            return 0;
        }

        var dropped = _pending.Count;
        foreach (var pending in _pending.Values)
        {
            pending.Node = null;
        }

        _pendingOrder.Clear();
        _pending = [];
        return dropped;
    }

    /// <summary>The per-payload send budget, <c>mult × ceil(log10(clusterSize + 1))</c>.</summary>
    /// <param name="clusterSize">Live members including this node.</param>
    /// <param name="retransmitMult">The retransmit multiplier.</param>
    public static int TransmissionBudget(int clusterSize, int retransmitMult)
    {
        // ceil(log10(m)) is the smallest k with 10^k >= m; integer arithmetic avoids rounding surprises.
        long m = Math.Max(1, clusterSize + 1L);
        var k = 0;
        for (long power = 1; power < m; power *= 10)
        {
            k++;
        }

        return retransmitMult * k;
    }

    /// <summary>The budget a payload accepted now would get.</summary>
    public int CurrentBudget => TransmissionBudget(_live.Count + 1, Options.RetransmitMult);

    /// <summary>True while a new local payload goes to every live member at once (<see cref="BroadcastOptions.DirectMax"/>).</summary>
    public bool IsDirect => _live.Count <= Options.DirectMax;

    /// <summary>The budget a new local payload would get now: enough for every member while <see cref="IsDirect"/>.</summary>
    public int CurrentLocalBudget => IsDirect ? Math.Max(CurrentBudget, _live.Count) : CurrentBudget;

    /// <summary>A member is up (or moved to a new address); it becomes a target for new and pending payloads.</summary>
    public void MemberUp(ActorId id, EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (id == Self)
        {
            return;
        }

        if (_members.TryGetValue(id, out var member))
        {
            member.Address = address;
            return;
        }

        _members[id] = new Member(address);
        _nearestDirty = true;
        _liveIndex[id] = _live.Count;
        _live.Add(id);
    }

    /// <summary>A member is down or left: it is never chosen again until it is up again (its RTT is forgotten).</summary>
    public void MemberDown(ActorId id)
    {
        if (!_members.Remove(id))
        {
            return;
        }

        _nearestDirty = true;

        // Swap-remove keeps removal O(1); order of the live list carries no meaning.
        var index = _liveIndex[id];
        var last = _live[^1];
        _live[index] = last;
        _liveIndex[last] = index;
        _live.RemoveAt(_live.Count - 1);
        _liveIndex.Remove(id);
    }

    /// <summary>Records a round-trip time to a live member, used to pick the nearest ring.</summary>
    public void ObserveRtt(ActorId id, TimeSpan rtt)
    {
        if (_members.TryGetValue(id, out var member))
        {
            _nearestDirty |= member.Rtt != rtt;
            member.Rtt = rtt;
        }
    }

    /// <summary>True when a payload with this id was seen lately (local, received or marked).</summary>
    public bool HasSeen(PayloadId id) => _seen.Contains(id) || _pending.ContainsKey(id);

    /// <summary>
    /// Remembers a payload obtained without broadcast (a sync answer): later broadcasts of it are
    /// duplicates, and it is not re-sent. False when it was already seen.
    /// </summary>
    public bool MarkSeen(PayloadId id)
    {
        if (IsDuplicate(id, from: null))
        {
            return false;
        }

        _seen.Add(id);
        return true;
    }

    /// <summary>
    /// A new local payload: the sends to make now. A repeated id is counted as a duplicate and not sent.
    /// The planner keeps <paramref name="data"/> (not a copy) until the payload is retired: do not reuse its buffer.
    /// </summary>
    public IReadOnlyList<BroadcastSend> Local(PayloadId id, ReadOnlyMemory<byte> data, long nowMs) =>
        AddLocal(new Pending(id, data, CurrentLocalBudget, from: null), nowMs);

    /// <summary>
    /// A new local payload whose bytes are made by <paramref name="encode"/> only when it is first sent (once): a
    /// node with no live member keeps payloads for later transmissions, and most of them are dropped unsent.
    /// </summary>
    /// <param name="id">The payload's id.</param>
    /// <param name="encode">Makes the payload's bytes; called at most once, by this call or a later <see cref="Tick"/>.</param>
    /// <param name="nowMs">The time now.</param>
    /// <returns>The sends to make now.</returns>
    public IReadOnlyList<BroadcastSend> Local(PayloadId id, Func<ReadOnlyMemory<byte>> encode, long nowMs) =>
        AddLocal(new Pending(id, encode, CurrentLocalBudget), nowMs);

    private IReadOnlyList<BroadcastSend> AddLocal(Pending pending, long nowMs)
    {
        var id = pending.Id;
        if (IsDuplicate(id, from: null))
        {
            return NoSends;
        }

        Counters.LocalPayloads++;
        _seen.Add(id);
        _chosen.Clear();
        if (IsDirect)
        {
            // A small cluster: everyone at once, no relay hop.
            ChooseRandom(pending, _live.Count);
        }
        else
        {
            ChooseNearest(pending, Math.Min(Options.NearestRing, pending.Budget));
            ChooseRandom(pending, Math.Min(Options.Fanout, pending.Budget - _chosen.Count));
        }

        var sends = Emit(pending, retransmission: false);
        Keep(pending, nowMs);
        return sends;
    }

    /// <summary>
    /// A payload arrived from <paramref name="from"/>. Seen before: a duplicate, nothing is sent (and
    /// <paramref name="from"/> is known to have it). First seen: re-broadcast to random live members other than the sender.
    /// </summary>
    public BroadcastReceipt Received(PayloadId id, ActorId from, ReadOnlyMemory<byte> data, long nowMs)
    {
        if (IsDuplicate(id, from))
        {
            return new BroadcastReceipt(true, NoSends);
        }

        Counters.ReceivedNew++;
        _seen.Add(id);
        // In a small cluster the origin sent it to every member itself (Local), whether this copy came from the origin or
        // from a relayer that was faster than the origin's own frame to us (common across processes: the origin writes
        // its 9 frames one after another). A full re-broadcast would be almost all duplicates (9 + 9 × 8 frames per
        // change at N = 10), so every receiver relays to a few members only, once, and the budget is capped to them so
        // Tick does not spend the rest later on members that were sent it anyway. What is still lost is sync's.
        var budget = IsDirect ? Math.Min(CurrentBudget, Options.DirectRelay) : CurrentBudget;
        var pending = new Pending(id, data, budget, from);
        _chosen.Clear();
        ChooseRandom(pending, Math.Min(Options.Fanout, pending.Budget));
        var sends = Emit(pending, retransmission: false);
        Keep(pending, nowMs);
        return new BroadcastReceipt(false, sends);
    }

    /// <summary>Later transmissions due at <paramref name="nowMs"/>: each due payload goes to up to fanout more members.</summary>
    public IReadOnlyList<BroadcastSend> Tick(long nowMs)
    {
        List<BroadcastSend>? sends = null;
        var node = _pendingOrder.First;
        while (node is not null)
        {
            var next = node.Next;
            var pending = node.Value;
            if (pending.NextAtMs <= nowMs)
            {
                _chosen.Clear();
                ChooseRandom(pending, Math.Min(Options.Fanout, pending.Budget - pending.Sent));
                if (_chosen.Count > 0)
                {
                    sends ??= [];
                    sends.AddRange(Emit(pending, retransmission: true));
                }

                if (!Retire(pending))
                {
                    pending.NextAtMs = nowMs + _retransmitIntervalMs;
                }
            }

            node = next;
        }

        return sends ?? NoSends;
    }

    private bool IsDuplicate(PayloadId id, ActorId? from)
    {
        var pendingHit = _pending.TryGetValue(id, out var pending);
        if (!_seen.Touch(id) && !pendingHit)
        {
            return false;
        }

        Counters.Duplicates++;
        if (pendingHit && from is { } sender)
        {
            // The sender has it: no need to spend budget on it.
            pending!.Have.Add(sender);
            Retire(pending);
        }

        return true;
    }

    private void Keep(Pending pending, long nowMs)
    {
        if (Retire(pending, enqueued: false))
        {
            return;
        }

        if (_pending.Count >= Options.MaxPending && _pendingOrder.First is { } oldest)
        {
            Counters.DroppedPending++;
            Remove(oldest.Value);
        }

        pending.NextAtMs = nowMs + _retransmitIntervalMs;
        pending.Node = _pendingOrder.AddLast(pending);
        _pending[pending.Id] = pending;
    }

    /// <summary>Drops a payload whose budget is spent or which every live member has; true when it did.</summary>
    private bool Retire(Pending pending, bool enqueued = true)
    {
        if (pending.Sent >= pending.Budget)
        {
            Counters.BudgetSpent++;
        }
        else if (_live.Count > 0 && LiveWithout(pending) == 0)
        {
            Counters.ReachedAll++;
        }
        else
        {
            return false;
        }

        if (enqueued)
        {
            Remove(pending);
        }

        return true;
    }

    private void Remove(Pending pending)
    {
        _pending.Remove(pending.Id);
        if (pending.Node is not null)
        {
            _pendingOrder.Remove(pending.Node);
            pending.Node = null;
        }
    }

    /// <summary>How many live members do not have the payload yet.</summary>
    private int LiveWithout(Pending pending)
    {
        var liveWith = 0;
        foreach (var id in pending.Have)
        {
            if (_liveIndex.ContainsKey(id))
            {
                liveWith++;
            }
        }

        return _live.Count - liveWith;
    }

    private void ChooseNearest(Pending pending, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (_nearestDirty)
        {
            // Rebuilt only after RTT or membership changes, not for every payload.
            _nearest.Clear();
            foreach (var id in _live)
            {
                if (_members[id].Rtt is not null)
                {
                    _nearest.Add(id);
                }
            }

            // Ties broken by id so the choice does not depend on the live list's order.
            _nearest.Sort((a, b) =>
            {
                var c = _members[a].Rtt!.Value.CompareTo(_members[b].Rtt!.Value);
                return c != 0 ? c : a.CompareTo(b);
            });
            _nearestDirty = false;
        }

        for (var i = 0; i < _nearest.Count && _chosen.Count < count; i++)
        {
            if (!pending.Have.Contains(_nearest[i]))
            {
                _chosen.Add(_nearest[i]);
            }
        }
    }

    private void ChooseRandom(Pending pending, int count)
    {
        if (count <= 0 || _live.Count == 0)
        {
            return;
        }

        var wanted = _chosen.Count + count;
        // In a large cluster, sampling with rejection avoids copying the live list for every payload.
        if (_live.Count >= 64 && (pending.Have.Count + wanted) * 4 <= _live.Count)
        {
            for (var attempts = 0; _chosen.Count < wanted && attempts < count * 16; attempts++)
            {
                var id = _live[_random.Next(_live.Count)];
                if (!pending.Have.Contains(id) && !_chosen.Contains(id))
                {
                    _chosen.Add(id);
                }
            }

            if (_chosen.Count == wanted)
            {
                return;
            }
        }

        _scratch.Clear();
        foreach (var id in _live)
        {
            if (!pending.Have.Contains(id) && !_chosen.Contains(id))
            {
                _scratch.Add(id);
            }
        }

        var take = Math.Min(wanted - _chosen.Count, _scratch.Count);
        for (var i = 0; i < take; i++)
        {
            var j = i + _random.Next(_scratch.Count - i);
            (_scratch[i], _scratch[j]) = (_scratch[j], _scratch[i]);
            _chosen.Add(_scratch[i]);
        }
    }

    private IReadOnlyList<BroadcastSend> Emit(Pending pending, bool retransmission)
    {
        if (_chosen.Count == 0)
        {
            return NoSends;
        }

        var sends = new BroadcastSend[_chosen.Count];
        for (var i = 0; i < _chosen.Count; i++)
        {
            var peer = _chosen[i];
            pending.Have.Add(peer);
            pending.Sent++;
            sends[i] = new BroadcastSend(peer, _members[peer].Address, pending.Id, pending.Data);
        }

        Counters.Sends += sends.Length;
        if (retransmission)
        {
            Counters.Retransmissions += sends.Length;
        }

        return sends;
    }

    private sealed class Member(EndPoint address)
    {
        public EndPoint Address { get; set; } = address;

        public TimeSpan? Rtt { get; set; }
    }

    /// <summary>A payload with budget left; <see cref="Have"/> holds the peers known to have it (sent to, or sent it to us).</summary>
    private sealed class Pending
    {
        private ReadOnlyMemory<byte> _data;
        private Func<ReadOnlyMemory<byte>>? _encode;

        public Pending(PayloadId id, ReadOnlyMemory<byte> data, int budget, ActorId? from)
        {
            Id = id;
            _data = data;
            Budget = budget;
            // The origin has its own payload: never send it back.
            Have.Add(id.Actor);
            if (from is { } sender)
            {
                Have.Add(sender);
            }
        }

        public Pending(PayloadId id, Func<ReadOnlyMemory<byte>> encode, int budget)
            : this(id, ReadOnlyMemory<byte>.Empty, budget, from: null)
        {
            _encode = encode;
        }

        public PayloadId Id { get; }

        /// <summary>The payload's bytes, encoded at the first use when they were given as an encoder.</summary>
        public ReadOnlyMemory<byte> Data
        {
            get
            {
                if (_encode is { } encode)
                {
                    _data = encode();
                    _encode = null;
                }

                return _data;
            }
        }

        public int Budget { get; }

        public int Sent { get; set; }

        public HashSet<ActorId> Have { get; } = [];

        public long NextAtMs { get; set; }

        public LinkedListNode<Pending>? Node { get; set; }
    }
}
