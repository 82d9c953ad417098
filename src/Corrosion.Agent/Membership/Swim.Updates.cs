namespace Corrosion.Agent.Membership;

/// <summary>Applying rumours: SWIM's precedence rules, identities at an address, suspicion.</summary>
public sealed partial class Swim
{
    private void Apply(MemberUpdate update, long nowMs, ISwimRuntime runtime, bool rebroadcast)
    {
        var member = update.Member;
        if (member.Address == _self.Address)
        {
            ApplyAboutSelf(update);
            return;
        }

        if (!_members.TryGetValue(member.Address, out var entry))
        {
            AddMember(update, nowMs, runtime, rebroadcast);
            return;
        }

        var known = entry.Identity;
        if (!member.IsSameLifeAs(known))
        {
            if (!member.IsNewerLifeThan(known))
            {
                Counters.StaleUpdates++;
                return;
            }

            // A restart at the same address: the old life is over.
            if (entry.IsActive)
            {
                SetState(entry, MemberState.Down, nowMs);
                runtime.Notify(new MemberNotification(MemberNotificationKind.MemberDown, known));
            }

            _members.Remove(member.Address);
            AddMember(update, nowMs, runtime, rebroadcast, returned: true);
            return;
        }

        var incarnation = member.Incarnation;
        var changed = false;
        switch (update.State)
        {
            case MemberState.Alive when incarnation > known.Incarnation && entry.State != MemberState.Left:
                entry.Identity = member;
                if (entry.State != MemberState.Alive)
                {
                    SetState(entry, MemberState.Alive, nowMs);
                    runtime.Notify(new MemberNotification(MemberNotificationKind.MemberUp, member, Returned: true));
                }

                changed = true;
                break;

            case MemberState.Suspect when (entry.State == MemberState.Alive && incarnation >= known.Incarnation)
                                       || (entry.State == MemberState.Suspect && incarnation > known.Incarnation):
                entry.Identity = member;
                StartSuspicion(entry, update.From, nowMs, runtime);
                changed = true;
                break;

            case MemberState.Suspect when entry.State == MemberState.Suspect && incarnation == known.Incarnation:
                if (entry.Suspicion is { } suspicion && suspicion.Confirm(update.From))
                {
                    runtime.SetTimer(new SwimTimer(SwimTimerKind.SuspicionTimeout, entry.TimerToken, member.Address), Math.Max(0, suspicion.DeadlineMs - nowMs));

                    // Spread the confirmation too, so others' timers shrink as well.
                    if (rebroadcast)
                    {
                        _broadcasts.Enqueue(update);
                    }
                }
                else
                {
                    Counters.StaleUpdates++;
                }

                return;

            case MemberState.Down when entry.IsActive && incarnation >= known.Incarnation:
                entry.Identity = member;
                SetState(entry, MemberState.Down, nowMs);
                runtime.Notify(new MemberNotification(MemberNotificationKind.MemberDown, member));
                ScheduleForget(entry, runtime);
                ScheduleReprobe(entry, runtime);
                changed = true;
                break;

            case MemberState.Left when entry.State != MemberState.Left && incarnation >= known.Incarnation:
                var wasActive = entry.IsActive;
                entry.Identity = member;
                SetState(entry, MemberState.Left, nowMs);
                if (wasActive)
                {
                    runtime.Notify(new MemberNotification(MemberNotificationKind.MemberLeft, member));
                }

                ScheduleForget(entry, runtime);
                changed = true;
                break;

            default:
                Counters.StaleUpdates++;
                break;
        }

        if (changed && rebroadcast)
        {
            _broadcasts.Enqueue(Rumour(entry));
        }
    }

    private void AddMember(MemberUpdate update, long nowMs, ISwimRuntime runtime, bool rebroadcast, bool returned = false)
    {
        var member = update.Member;
        if (!HasRoomFor(update))
        {
            Counters.MembersRefused++;
            return;
        }

        if (update.State is MemberState.Down or MemberState.Left)
        {
            // Remember it (so stale "alive" rumours of that life are rejected) but never report it up.
            var tombstone = new MemberEntry(member, update.State, nowMs);
            _members[member.Address] = tombstone;
            ScheduleForget(tombstone, runtime);
            if (update.State == MemberState.Down)
            {
                // Down on the other side of a partition may be alive on ours once it heals: find out.
                ScheduleReprobe(tombstone, runtime);
            }

            if (rebroadcast)
            {
                _broadcasts.Enqueue(update);
            }

            return;
        }

        var entry = new MemberEntry(member, MemberState.Alive, nowMs);
        _members[member.Address] = entry;
        SetState(entry, MemberState.Alive, nowMs);

        // Probe newcomers within the current round rather than waiting for the next shuffle.
        _probeOrder.Insert(_probeIndex + _random.Next(_probeOrder.Count - _probeIndex + 1), member.Address);
        runtime.Notify(new MemberNotification(MemberNotificationKind.MemberUp, member, returned));
        if (update.State == MemberState.Suspect)
        {
            StartSuspicion(entry, update.From, nowMs, runtime);
        }

        if (rebroadcast)
        {
            _broadcasts.Enqueue(Rumour(entry));
        }
    }

    /// <summary>
    /// Membership is bounded (<c>membership.max_members</c>): anyone who can reach the UDP port can
    /// announce made-up members, and each costs memory, probes and a saved row. When the table is
    /// full a live newcomer takes the place of the oldest down or left member (a tombstone only
    /// guards against stale rumours); with no tombstone to drop, or for a tombstone, it is refused.
    /// </summary>
    private bool HasRoomFor(MemberUpdate update)
    {
        if (_members.Count < _options.MaxMembers)
        {
            return true;
        }

        if (update.State is MemberState.Down or MemberState.Left)
        {
            return false;
        }

        MemberEntry? oldest = null;
        foreach (var entry in _members.Values)
        {
            if (!entry.IsActive && (oldest is null || entry.SinceMs < oldest.SinceMs))
            {
                oldest = entry;
            }
        }

        if (oldest is null)
        {
            return false;
        }

        _members.Remove(oldest.Identity.Address);
        return true;
    }

    private void ApplyAboutSelf(MemberUpdate update)
    {
        if (!update.Member.IsSameLifeAs(_self))
        {
            // About an earlier life of this node (or an impostor at our address): not ours to refute.
            Counters.StaleUpdates++;
            return;
        }

        if (update.State is MemberState.Suspect or MemberState.Down && update.Member.Incarnation >= _self.Incarnation
            && update.Member.Incarnation < long.MaxValue)
        {
            _self = _self with { Incarnation = update.Member.Incarnation + 1 };
            Counters.Refutations++;

            // Lifeguard: being suspected hints that we are the slow one.
            AdjustLocalHealth(1);
            _broadcasts.Enqueue(new MemberUpdate(_self, MemberState.Alive));
        }
    }

    private void StartSuspicion(MemberEntry entry, NodeAddress from, long nowMs, ISwimRuntime runtime)
    {
        var n = _active.Count + 1;
        var nodeScale = Math.Max(1.0, Math.Log10(Math.Max(1.0, n)));
        var min = (long)(_options.SuspicionMult * nodeScale * _options.ProbeIntervalMs);
        var max = _options.LifeguardEnabled ? min * _options.SuspicionMaxTimeoutMult : min;
        var expected = _options.LifeguardEnabled ? Math.Max(0, _options.SuspicionMult - 2) : 0;
        if (n - 2 < expected)
        {
            expected = 0;
        }

        var wasSuspect = entry.State == MemberState.Suspect;
        SetState(entry, MemberState.Suspect, nowMs);
        entry.Suspicion = new Suspicion(nowMs, min, max, expected, from.IsSpecified ? from : _self.Address);
        entry.TimerToken = ++_timerToken;
        runtime.SetTimer(new SwimTimer(SwimTimerKind.SuspicionTimeout, entry.TimerToken, entry.Identity.Address), entry.Suspicion.TimeoutMs);
        if (!wasSuspect)
        {
            Counters.Suspicions++;
            runtime.Notify(new MemberNotification(MemberNotificationKind.MemberSuspect, entry.Identity));
        }
    }

    private void ScheduleForget(MemberEntry entry, ISwimRuntime runtime)
    {
        entry.TimerToken = ++_timerToken;
        runtime.SetTimer(new SwimTimer(SwimTimerKind.ForgetMember, entry.TimerToken, entry.Identity.Address), _options.DownRetentionMs);
    }

    /// <summary>Starts re-probing a member now held down: first after the short minimum, then with a doubling pause.</summary>
    private void ScheduleReprobe(MemberEntry entry, ISwimRuntime runtime)
    {
        if (_options.ReprobeMaxIntervalMs <= 0)
        {
            return;
        }

        entry.ReprobeToken = ++_timerToken;
        entry.ReprobeDelayMs = Math.Min(_options.ReprobeMinIntervalMs, _options.ReprobeMaxIntervalMs);
        runtime.SetTimer(new SwimTimer(SwimTimerKind.Reprobe, entry.ReprobeToken, entry.Identity.Address), entry.ReprobeDelayMs);
    }

    private void OnReprobe(SwimTimer timer, ISwimRuntime runtime)
    {
        if (!_members.TryGetValue(timer.Member, out var entry) || entry.ReprobeToken != timer.Token || entry.State != MemberState.Down)
        {
            return;
        }

        // The ping carries the "down" rumour about its target (see Send): a live target refutes in its ack.
        Send(timer.Member, SwimMessageType.Ping, ++_sequence, default, runtime);
        Counters.Reprobes++;
        entry.ReprobeDelayMs = Math.Min(entry.ReprobeDelayMs * 2, _options.ReprobeMaxIntervalMs);
        runtime.SetTimer(timer, entry.ReprobeDelayMs);
    }

    private static MemberUpdate Rumour(MemberEntry entry) =>
        new(entry.Identity, entry.State, entry.Suspicion?.Suspecter ?? default);

    /// <summary>Changes state and keeps the active list (probe and gossip targets) in step.</summary>
    private void SetState(MemberEntry entry, MemberState state, long nowMs)
    {
        var address = entry.Identity.Address;
        var wasActive = _activeIndex.ContainsKey(address);
        entry.State = state;
        entry.SinceMs = nowMs;
        if (state != MemberState.Suspect)
        {
            entry.Suspicion = null;
        }

        if (entry.IsActive && !wasActive)
        {
            _activeIndex[address] = _active.Count;
            _active.Add(address);
        }
        else if (!entry.IsActive && wasActive)
        {
            var index = _activeIndex[address];
            var last = _active[^1];
            _active[index] = last;
            _activeIndex[last] = index;
            _active.RemoveAt(_active.Count - 1);
            _activeIndex.Remove(address);
        }
    }
}
