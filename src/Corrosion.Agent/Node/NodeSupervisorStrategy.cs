using Akka.Actor;
using Akka.Actor.Internal;

namespace Corrosion.Agent.Node;

/// <summary>
/// The node's supervision in Akka terms: one-for-one, every failure restarts the failed actor, after
/// an exponential backoff with jitter (<see cref="SupervisionOptions"/>). During the backoff the failed
/// actor stays suspended as Akka leaves it: its reference and mailbox are kept, only the failing
/// message is lost, and the restart (Akka's own: PreRestart, PostStop, a fresh instance, PreStart)
/// rebuilds its state. A failure beyond the restart limit goes to <c>giveUp</c>, which stops the node.
/// </summary>
/// <remarks>
/// Not Akka's BackoffSupervisor: it stops and re-creates its child, so every message waiting in the
/// child's mailbox is lost, and the reference callers hold would be the intermediate supervisor's,
/// whose own mailbox (unbounded, or a second bounded queue) stands in front of the child's bounded one.
/// </remarks>
internal sealed class NodeSupervisorStrategy : OneForOneStrategy
{
    private readonly SupervisionOptions _settings;
    private readonly Action<IActorRef, Exception, TimeSpan> _scheduleRestart;
    private readonly Action<IActorRef, Exception> _giveUp;
    private readonly Random _random;
    private readonly Dictionary<IActorRef, Queue<DateTimeOffset>> _restarts = [];

    /// <param name="settings">Backoff and restart limit.</param>
    /// <param name="scheduleRestart">Restarts the child (with <see cref="Restart"/>) after the delay; called on the supervisor's thread.</param>
    /// <param name="giveUp">The restart limit is reached: stop the node with this cause.</param>
    /// <param name="random">Jitter source (seeded in tests).</param>
    public NodeSupervisorStrategy(
        SupervisionOptions settings,
        Action<IActorRef, Exception, TimeSpan> scheduleRestart,
        Action<IActorRef, Exception> giveUp,
        Random? random = null)
        : base(static _ => Directive.Restart)
    {
        _settings = settings;
        _scheduleRestart = scheduleRestart;
        _giveUp = giveUp;
        _random = random ?? new Random();
    }

    /// <inheritdoc />
    public override void ProcessFailure(IActorContext context, bool restart, IActorRef child, Exception cause, ChildRestartStats stats, IReadOnlyCollection<ChildRestartStats> children)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!restart)
        {
            context.Stop(child);
            return;
        }

        // The scheduler's clock, so tests on Akka's TestScheduler control the window as well as the delays.
        var now = context.System.Scheduler.Now;
        if (!_restarts.TryGetValue(child, out var history))
        {
            history = new Queue<DateTimeOffset>();
            _restarts.Add(child, history);
        }

        while (history.Count > 0 && now - history.Peek() >= _settings.Window)
        {
            history.Dequeue();
        }

        if (history.Count >= _settings.MaxRestarts)
        {
            _giveUp(child, cause);
            return;
        }

        var delay = _settings.BackoffFor(history.Count, _random);
        history.Enqueue(now);
        _scheduleRestart(child, cause, delay);
    }

    /// <summary>Restarts a child left suspended by <see cref="ProcessFailure"/>.</summary>
    /// <param name="child">The failed child.</param>
    /// <param name="cause">Its failure (given to its PreRestart).</param>
    public void Restart(IActorRef child, Exception cause) => RestartChild(child, cause, suspendFirst: false);

    /// <inheritdoc />
    public override void HandleChildTerminated(IActorContext actorContext, IActorRef child, IEnumerable<IInternalActorRef> children) =>
        _restarts.Remove(child);
}
