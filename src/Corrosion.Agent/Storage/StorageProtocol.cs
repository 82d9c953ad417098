using Corrosion.Agent.Actors;

namespace Corrosion.Agent.Storage;

/// <summary>A message to <see cref="StorageActor"/>, the only writer to the database.</summary>
public abstract record StorageCommand;

/// <summary>Runs statements in one transaction; replies with the outcome.</summary>
/// <param name="Statements">The statements, in order.</param>
/// <param name="Timeout">How long the transaction may run before it is rolled back.</param>
/// <param name="ReplyTo">Receives the outcome (unless <see cref="Completion"/> is set).</param>
public sealed record ExecuteTransaction(
    IReadOnlyList<Statement> Statements,
    TimeSpan? Timeout,
    ActorRef<TransactionOutcome> ReplyTo) : StorageCommand
{
    /// <summary>A reply-to for requests answered through <see cref="Completion"/>: nobody.</summary>
    public static readonly ActorRef<TransactionOutcome> NoReplyTo = new(Akka.Actor.ActorRefs.Nobody);

    /// <summary>The caller's span (the HTTP request's), parent of the transaction's span; default starts a new trace.</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }

    /// <summary>
    /// When set, the outcome completes this instead of being told to <see cref="ReplyTo"/>: the edges
    /// inside the node's process (the HTTP endpoint) wait on it without the temporary actor an Ask
    /// creates per request. Create it with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>,
    /// so the waiter's continuation does not run on the writer's thread.
    /// </summary>
    public TaskCompletionSource<TransactionOutcome>? Completion { get; init; }

    /// <summary>A transaction whose outcome completes a new task (see <see cref="Completion"/>).</summary>
    /// <param name="statements">The statements, in order.</param>
    /// <param name="timeout">How long the transaction may run before it is rolled back.</param>
    /// <param name="outcome">Completes with the outcome.</param>
    /// <param name="trace">The caller's span (see <see cref="Trace"/>); default starts a new trace.</param>
    /// <returns>The message to tell the writer.</returns>
    public static ExecuteTransaction Completing(IReadOnlyList<Statement> statements, TimeSpan? timeout, out Task<TransactionOutcome> outcome, System.Diagnostics.ActivityContext trace = default)
    {
        var completion = new TaskCompletionSource<TransactionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        outcome = completion.Task;
        return new ExecuteTransaction(statements, timeout, NoReplyTo) { Completion = completion, Trace = trace };
    }

    /// <summary>Gives the outcome to whoever waits for it (<see cref="Completion"/>, else <see cref="ReplyTo"/>).</summary>
    /// <param name="outcome">The outcome.</param>
    public void Reply(TransactionOutcome outcome)
    {
        if (Completion is { } completion)
        {
            completion.TrySetResult(outcome);
        }
        else
        {
            ReplyTo.Tell(outcome);
        }
    }
}

/// <summary>The outcome of <see cref="ExecuteTransaction"/>: a result, or an error and nothing applied.</summary>
/// <param name="Result">The committed result, or null on failure.</param>
/// <param name="Error">What went wrong, or null on success.</param>
/// <param name="StatementIndex">The index of the failing statement, when one failed.</param>
/// <param name="TimedOut">True when the transaction was rolled back because it ran out of time.</param>
public sealed record TransactionOutcome(TransactionResult? Result, string? Error, int? StatementIndex = null, bool TimedOut = false)
{
    /// <summary>How many transactions shared this one's SQLite commit (group commit; 1 when it ran alone).</summary>
    public int CommittedWith { get; init; } = 1;
}

/// <summary>Merges remote changesets in one transaction; replies when given a reply channel.</summary>
/// <param name="Changesets">The changesets (complete versions, chunks, or empty ranges).</param>
/// <param name="ReplyTo">Receives the merge result, or null for fire-and-forget.</param>
public sealed record ApplyChangesets(IReadOnlyList<Changeset> Changesets, ActorRef<ApplyOutcome>? ReplyTo) : StorageCommand
{
    /// <summary>
    /// True when the sender counted these changesets in the node's apply queue
    /// (<see cref="Telemetry.NodeTelemetry.AddApplyQueue"/>); the writer takes them off once merged.
    /// </summary>
    public bool Queued { get; init; }
}

/// <summary>The outcome of <see cref="ApplyChangesets"/>.</summary>
/// <param name="Result">The merge result, or null on failure.</param>
/// <param name="Error">What went wrong, or null.</param>
public sealed record ApplyOutcome(MergeResult? Result, string? Error);

/// <summary>Reads the changesets of an actor's versions (for sync answers).</summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">The versions wanted.</param>
/// <param name="ReplyTo">Receives the changesets.</param>
/// <param name="MaxChanges">Stop after the version at which this many changes were read (<see cref="CrdtStore.ChangesFor"/>).</param>
public sealed record ReadChanges(ActorId Actor, VersionRange Versions, ActorRef<IReadOnlyList<Changeset>> ReplyTo, int MaxChanges = int.MaxValue) : StorageCommand;

/// <summary>Reads this node's sync state (heads, gaps, partials).</summary>
/// <param name="ReplyTo">Receives the state.</param>
public sealed record ReadSyncState(ActorRef<SyncState> ReplyTo) : StorageCommand;

/// <summary>
/// Adds a listener for committed and merged changes. The writer never waits for a listener, so the
/// listener's mailbox must not make senders wait: Akka's default (unbounded) or a dropping one
/// (<c>DropNewestMailbox</c>). A listener that must not miss an event checks
/// <see cref="StorageEvent.Sequence"/>.
/// </summary>
/// <param name="Listener">Receives <see cref="StorageEvent"/>s; watched, and removed when it stops.</param>
public sealed record SubscribeStorageEvents(ActorRef<StorageEvent> Listener) : StorageCommand
{
    /// <summary>
    /// True: the listener takes one <see cref="ChangesCommitted"/> per group commit, covering the group's
    /// versions (<see cref="ChangesCommitted.FirstVersion"/> to <see cref="ChangesCommitted.Version"/>),
    /// instead of one per transaction: fewer messages for a listener that handles each chunk alike (gossip).
    /// </summary>
    public bool Grouped { get; init; }
}

/// <summary>Removes a listener added with <see cref="SubscribeStorageEvents"/> (a stopped listener is removed by itself).</summary>
/// <param name="Listener">The listener.</param>
public sealed record UnsubscribeStorageEvents(ActorRef<StorageEvent> Listener) : StorageCommand;

/// <summary>
/// Something the store did that other actors react to. Never makes the writer wait: a listener's full
/// waiting mailbox drops it (<see cref="IDroppedWhenFull"/>), which the listener sees as a gap.
/// </summary>
public abstract record StorageEvent : IDroppedWhenFull
{
    /// <summary>
    /// This event's number for the listener it was sent to: 1 for the first event published to that
    /// listener, then one more for each. A jump means events were lost on the way (a full mailbox,
    /// or a waiting one that gave up), and the listener must recover (re-read what it derives).
    /// </summary>
    public long Sequence { get; init; }
}

/// <summary>
/// Local transactions committed these changesets, each transaction under a new version: one transaction
/// (<see cref="FirstVersion"/> = <see cref="Version"/>), or, for a listener that subscribed
/// <see cref="SubscribeStorageEvents.Grouped"/>, all those of a group commit: versions
/// <see cref="FirstVersion"/> to <see cref="Version"/>, consecutive, each chunk naming its own version.
/// </summary>
/// <param name="Actor">This node.</param>
/// <param name="Version">The latest new local version (the last of the commit).</param>
/// <param name="Changesets">The changes, chunked, in version order.</param>
public sealed record ChangesCommitted(ActorId Actor, long Version, IReadOnlyList<ChangesetFull> Changesets) : StorageEvent
{
    private readonly long _firstVersion;

    /// <summary>The commit's span, parent of the broadcast's; default when nothing traces.</summary>
    public System.Diagnostics.ActivityContext Trace { get; init; }

    /// <summary>The first new local version of the commit (<see cref="Version"/> unless set: one version).</summary>
    public long FirstVersion
    {
        get => _firstVersion == 0 ? Version : _firstVersion;
        init => _firstVersion = value;
    }
}

/// <summary>Remote changesets were merged.</summary>
/// <param name="Result">What the merge applied.</param>
public sealed record ChangesMerged(MergeResult Result) : StorageEvent;

/// <summary>
/// Re-reads the schema files (<c>db.schema_paths</c>) and applies what was added (<c>corrosion reload</c>):
/// new tables, new nullable or defaulted columns, index changes, all in one transaction. Anything
/// destructive is refused naming the table and column, and nothing is applied.
/// </summary>
/// <param name="ReplyTo">Receives the outcome.</param>
public sealed record ReloadSchema(ActorRef<SchemaReloadOutcome> ReplyTo) : StorageCommand;

/// <summary>The outcome of <see cref="ReloadSchema"/>.</summary>
/// <param name="Steps">The statements applied (empty when the schema had not changed).</param>
/// <param name="Tables">The replicated tables after the reload.</param>
/// <param name="Error">Why nothing was applied, or null.</param>
public sealed record SchemaReloadOutcome(IReadOnlyList<string> Steps, IReadOnlyList<string> Tables, string? Error);

/// <summary>
/// Re-reads the version bookkeeping from the database and recounts the gaps (<c>corrosion sync
/// reconcile-gaps</c>), so the in-memory view and <c>/v1/health</c> match what is stored.
/// </summary>
/// <param name="ReplyTo">Receives the gap counts before and after.</param>
public sealed record ReconcileGaps(ActorRef<GapsReconciled> ReplyTo) : StorageCommand;

/// <summary>The answer to <see cref="ReconcileGaps"/>.</summary>
/// <param name="Before">Missing versions counted before.</param>
/// <param name="After">Missing versions counted from the database.</param>
/// <param name="Needs">What is missing after, per origin actor (id → ranges "a-b").</param>
public sealed record GapsReconciled(long Before, long After, IReadOnlyDictionary<string, IReadOnlyList<string>> Needs);

/// <summary>
/// Replaces the persisted cluster members (table <c>__corro_members</c>) so a restarted node can
/// rejoin without its bootstrap list. Fire and forget.
/// </summary>
/// <param name="Members">Every member worth remembering, this node excluded.</param>
public sealed record SaveMembers(IReadOnlyList<StoredMember> Members) : StorageCommand;

/// <summary>
/// The process went quiet after a burst: free the SQLite page caches of the writer and the idle read
/// connections (<see cref="CrdtStore.ReleaseMemory"/>). Answered with the bytes freed.
/// </summary>
/// <param name="ReplyTo">Receives the bytes of page cache freed.</param>
public sealed record ReleaseStorageMemory(ActorRef<long> ReplyTo) : StorageCommand;

/// <summary>Reads the persisted cluster members.</summary>
/// <param name="ReplyTo">Receives them (empty when none were saved).</param>
public sealed record LoadMembers(ActorRef<IReadOnlyList<StoredMember>> ReplyTo) : StorageCommand;

/// <summary>
/// One remembered cluster member, in plain storage terms (the membership folder maps it to and from
/// its own identity type).
/// </summary>
/// <param name="Id">The member's actor id.</param>
/// <param name="Address">Its gossip address, <c>host:port</c>.</param>
/// <param name="Incarnation">The last incarnation seen.</param>
/// <param name="ClusterId">Its cluster id.</param>
/// <param name="StartedAtMs">Start time of the life seen (Unix ms).</param>
/// <param name="State">The state last seen (alive, suspect, down), for operators reading the table.</param>
public sealed record StoredMember(ActorId Id, string Address, long Incarnation, ushort ClusterId, long StartedAtMs, string State);
