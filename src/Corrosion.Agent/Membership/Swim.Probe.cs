namespace Corrosion.Agent.Membership;

/// <summary>Failure detection: probe periods, indirect probes, relays.</summary>
public sealed partial class Swim
{
    private void OnProbeTick(long nowMs, ISwimRuntime runtime)
    {
        FinishProbe(nowMs, runtime);
        if (NextProbeTarget() is { } target)
        {
            _probe = new Probe(++_sequence, target, nowMs);
            Counters.Probes++;
            Send(target, SwimMessageType.Ping, _probe.Sequence, default, runtime);
            runtime.SetTimer(new SwimTimer(SwimTimerKind.ProbeTimeout, _probe.Sequence), CurrentProbeTimeoutMs);
        }

        runtime.SetTimer(new SwimTimer(SwimTimerKind.ProbeTick, 0), CurrentProbeIntervalMs);
    }

    /// <summary>Ends the previous period's probe: without an ack by now, the target becomes suspect.</summary>
    private void FinishProbe(long nowMs, ISwimRuntime runtime)
    {
        if (_probe is not { } probe)
        {
            return;
        }

        _probe = null;
        if (probe.Acked)
        {
            return;
        }

        Counters.FailedProbes++;

        // Lifeguard: missing nacks mean our own network or process is the likely culprit.
        AdjustLocalHealth(probe.ExpectedNacks > 0 ? Math.Max(0, probe.ExpectedNacks - probe.Nacks) : 1);
        // Also when already suspect: our own failed probe is an independent confirmation (Lifeguard).
        if (_members.TryGetValue(probe.Target, out var entry) && entry.IsActive)
        {
            Apply(new MemberUpdate(entry.Identity, MemberState.Suspect, _self.Address), nowMs, runtime, rebroadcast: true);
        }
    }

    private NodeAddress? NextProbeTarget()
    {
        for (var attempts = 0; attempts <= _probeOrder.Count + 1; attempts++)
        {
            if (_probeIndex >= _probeOrder.Count)
            {
                _probeOrder.Clear();
                _probeOrder.AddRange(_active);
                Shuffle(_probeOrder);
                _probeIndex = 0;
                if (_probeOrder.Count == 0)
                {
                    return null;
                }
            }

            var candidate = _probeOrder[_probeIndex++];
            if (_members.TryGetValue(candidate, out var entry) && entry.IsActive)
            {
                return candidate;
            }
        }

        return null;
    }

    private void OnProbeTimeout(uint sequence, ISwimRuntime runtime)
    {
        if (_probe is not { } probe || probe.Sequence != sequence || probe.Acked)
        {
            return;
        }

        var sent = 0;
        foreach (var relay in PickActive(_options.IndirectProbes, probe.Target, default))
        {
            Send(relay, SwimMessageType.PingReq, probe.Sequence, probe.Target, runtime);
            sent++;
        }

        probe.ExpectedNacks = _options.LifeguardEnabled ? sent : 0;
    }

    private void OnAck(uint sequence, NodeAddress from, long nowMs, ISwimRuntime runtime)
    {
        if (_relays.Remove(sequence, out var relay))
        {
            Send(relay.Origin, SwimMessageType.Ack, relay.OriginSequence, default, runtime);
            runtime.CancelTimer(new SwimTimer(SwimTimerKind.RelayTimeout, sequence));
            return;
        }

        if (_probe is not { } probe || probe.Sequence != sequence || probe.Acked)
        {
            return;
        }

        probe.Acked = true;
        // Its timeout would find the probe acked and do nothing: an idle node need not wake for it.
        runtime.CancelTimer(new SwimTimer(SwimTimerKind.ProbeTimeout, probe.Sequence));
        AdjustLocalHealth(-1);
        if (from == probe.Target && _members.TryGetValue(from, out var entry))
        {
            entry.LastRttMs = nowMs - probe.SentAtMs;
        }
    }

    private void OnPingReq(uint sequence, NodeAddress origin, NodeAddress target, ISwimRuntime runtime)
    {
        if (!target.IsSpecified || target == _self.Address || _relays.Count >= MaxPendingRelays)
        {
            return;
        }

        var relaySequence = ++_sequence;
        _relays[relaySequence] = new Relay(origin, sequence, target);
        Send(target, SwimMessageType.Ping, relaySequence, default, runtime);

        // Nack a little before the origin gives up so the nack still counts (memberlist uses 80%).
        runtime.SetTimer(new SwimTimer(SwimTimerKind.RelayTimeout, relaySequence), Math.Max(1, _options.ProbeTimeoutMs * 4 / 5));
    }

    private void OnRefused(NodeAddress to, long nowMs, ISwimRuntime runtime)
    {
        Counters.Refusals++;

        // A relay's ping was refused: nack at once (our own network works; the target does not answer).
        List<uint>? refusedRelays = null;
        foreach (var (relaySequence, relay) in _relays)
        {
            if (relay.Target == to)
            {
                (refusedRelays ??= []).Add(relaySequence);
            }
        }

        foreach (var relaySequence in refusedRelays ?? [])
        {
            _relays.Remove(relaySequence, out var relay);
            runtime.CancelTimer(new SwimTimer(SwimTimerKind.RelayTimeout, relaySequence));
            if (_options.LifeguardEnabled)
            {
                Send(relay.Origin, SwimMessageType.Nack, relay.OriginSequence, default, runtime);
            }
        }

        if (_probe is { Acked: false } probe && probe.Target == to)
        {
            // The probe has failed now; waiting out the period (and asking relays) cannot change that. The refusal
            // came from the target's host, so our own network is fine: no local-health penalty.
            _probe = null;
            Counters.FailedProbes++;
            runtime.CancelTimer(new SwimTimer(SwimTimerKind.ProbeTimeout, probe.Sequence));
        }

        // Alive: suspect it now (it can still refute); already suspect: our own, independent confirmation.
        if (_members.TryGetValue(to, out var entry) && entry.IsActive)
        {
            Apply(new MemberUpdate(entry.Identity, MemberState.Suspect, _self.Address), nowMs, runtime, rebroadcast: true);
        }
    }

    private void OnSuspicionTimeout(SwimTimer timer, long nowMs, ISwimRuntime runtime)
    {
        if (!_members.TryGetValue(timer.Member, out var entry) || entry.TimerToken != timer.Token
            || entry.State != MemberState.Suspect || entry.Suspicion is not { } suspicion)
        {
            return;
        }

        if (nowMs < suspicion.DeadlineMs)
        {
            // A runtime timer may fire a little before the deadline by the core's clock (timer granularity, another
            // clock): wait out the rest instead of dropping the only timer, which left the member suspect for good.
            runtime.SetTimer(timer, suspicion.DeadlineMs - nowMs);
            return;
        }

        Apply(new MemberUpdate(entry.Identity, MemberState.Down), nowMs, runtime, rebroadcast: true);
    }

    /// <summary>Up to <paramref name="count"/> distinct random active members other than the two given.</summary>
    private List<NodeAddress> PickActive(int count, NodeAddress exclude1, NodeAddress exclude2)
    {
        var picked = new List<NodeAddress>(Math.Max(0, count));
        var available = _active.Count - (_activeIndex.ContainsKey(exclude1) ? 1 : 0) - (_activeIndex.ContainsKey(exclude2) ? 1 : 0);
        count = Math.Min(count, available);
        if (count <= 0)
        {
            return picked;
        }

        if (count * 3 >= _active.Count)
        {
            // Small cluster: shuffle a copy rather than retrying random draws.
            var all = new List<NodeAddress>(_active);
            Shuffle(all);
            foreach (var a in all)
            {
                if (picked.Count == count)
                {
                    break;
                }

                if (a != exclude1 && a != exclude2)
                {
                    picked.Add(a);
                }
            }

            return picked;
        }

        while (picked.Count < count)
        {
            var a = _active[_random.Next(_active.Count)];
            if (a != exclude1 && a != exclude2 && !picked.Contains(a))
            {
                picked.Add(a);
            }
        }

        return picked;
    }

    private void Shuffle(List<NodeAddress> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
