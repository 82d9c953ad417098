using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>One live query inside <see cref="SubscriptionActor"/>: its result, its listeners, its log bounds.</summary>
internal sealed class LiveSubscription(string id, Statement statement, string hash, IReadOnlyList<string> columns, MaterializedResult result, long prunedThrough)
{
    public string Id { get; } = id;

    public Statement Statement { get; } = statement;

    public string Hash { get; } = hash;

    public IReadOnlyList<string> Columns { get; set; } = columns;

    public MaterializedResult Result { get; } = result;

    /// <summary>Changes up to this id are no longer kept (0 when none were pruned).</summary>
    public long PrunedThrough { get; set; } = prunedThrough;

    /// <summary>The replicated tables the statement reads (case-insensitive); empty until evaluated.</summary>
    public HashSet<string> Tables { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<long, Listener> Listeners { get; } = [];

    /// <summary>When the last listener left (or the subscription was loaded), for the idle timeout.</summary>
    public DateTimeOffset IdleSince { get; set; }

    /// <summary>Its plan, the keys changed since its last evaluation, and what evaluations did.</summary>
    public LiveQueryEvaluator Evaluator { get; } = new(statement);

    /// <summary>Subscribe and attach requests that wait for its next evaluation (it had changes no listener saw yet).</summary>
    public List<SubscriptionCommand> Waiting { get; } = [];

    /// <summary>Someone wants its changes evaluated now: a listener, or a request waiting for one.</summary>
    public bool Wanted => Listeners.Count > 0 || Waiting.Count > 0;

    /// <summary>
    /// While it has no listener and no waiting request: how many changes each table it reads had seen
    /// when it went to sleep (see <c>SubscriptionActor.Sleep</c>); null while awake. A sleeping
    /// subscription is not visited by writes at all; it catches up when a listener comes back.
    /// </summary>
    public Dictionary<string, long>? SleepingSince { get; set; }

    /// <summary>The last row id written to the subscription file's counters (they are rewritten only when it moves).</summary>
    public long RecordedLastRowId { get; set; }

    /// <summary>Seconds its last evaluation took (reported in the end-of-query mark).</summary>
    public double LastEvaluationSeconds { get; set; }

    /// <summary>One attached stream: its bounded queue and the last change put into it.</summary>
    internal sealed class Listener(long id, ListenerQueue queue, long lastDelivered)
    {
        public long Id { get; } = id;

        public ListenerQueue Queue { get; } = queue;

        public long LastDelivered { get; set; } = lastDelivered;
    }
}
