namespace Corrosion.Actors.Internal;

/// <summary>Supervision of children: decider, backoff, restart limits, one-for-one and all-for-one.</summary>
internal abstract partial class ActorCell
{
    private readonly Dictionary<ActorCell, RestartHistory> restartHistories = [];
    private readonly RestartHistory allForOneHistory = new();

    private void OnChildFailed(ActorCell child, Exception cause)
    {
        if (isStopping || !IsChild(child))
        {
            return;
        }

        var strategy = CurrentStrategy;
        Directive directive;
        try
        {
            directive = strategy.Decider(cause);
        }
        catch (Exception deciderFailure)
        {
            KernelLog.HookFailed(System.KernelLogger, "Decider", Path, deciderFailure);
            directive = Directive.Escalate;
        }

        KernelLog.SupervisorDecision(System.KernelLogger, Path, directive, child.Path, cause.GetType().Name);
        switch (directive)
        {
            case Directive.Resume:
                child.SendSystem(ResumeCommand.Instance);
                break;
            case Directive.Stop:
                if (strategy.IsAllForOne)
                {
                    foreach (var kid in ChildCells())
                    {
                        kid.SendSystem(new StopCommand(ReferenceEquals(kid, child) ? cause : null));
                    }
                }
                else
                {
                    child.SendSystem(new StopCommand(cause));
                }

                break;
            case Directive.Escalate:
                Fail(cause);
                break;
            case Directive.Restart:
                ScheduleRestart(strategy, child, cause);
                break;
        }
    }

    private void ScheduleRestart(SupervisorStrategy strategy, ActorCell child, Exception cause)
    {
        RestartHistory history;
        if (strategy.IsAllForOne)
        {
            history = allForOneHistory;
        }
        else if (!restartHistories.TryGetValue(child, out history!))
        {
            history = new RestartHistory();
            restartHistories.Add(child, history);
        }

        if (history.IsPending)
        {
            // A restart covering this child is already on its way.
            return;
        }

        var now = System.Time.GetUtcNow();
        var count = history.CountWithin(now, strategy.Window);
        if (strategy.MaxRestarts >= 0 && count >= strategy.MaxRestarts)
        {
            KernelLog.RestartLimitReached(System.KernelLogger, child.Path, strategy.MaxRestarts, strategy.Window);
            Fail(cause);
            return;
        }

        history.Record(now);
        var delay = System.NextBackoff(strategy, count);
        ActorCell[] targets = strategy.IsAllForOne ? ChildCells() : [child];
        foreach (var target in targets)
        {
            if (!ReferenceEquals(target, child))
            {
                target.SendSystem(SuspendCommand.Instance);
            }
        }

        KernelLog.RestartScheduled(System.KernelLogger, child.Path, delay.TotalMilliseconds, count + 1);
        if (delay <= TimeSpan.Zero)
        {
            foreach (var target in targets)
            {
                target.SendSystem(new RestartCommand(cause));
            }

            return;
        }

        history.IsPending = true;
        var due = new RestartDue(history, targets, cause);
        history.PendingTimer = System.Time.CreateTimer(
            static state =>
            {
                var (self, message) = ((ActorCell, RestartDue))state!;
                self.SendSystem(message);
            },
            (this, due),
            delay,
            Timeout.InfiniteTimeSpan);
    }

    private ActorCell[] ChildCells()
    {
        lock (gate)
        {
            return [.. children.Values];
        }
    }
}
