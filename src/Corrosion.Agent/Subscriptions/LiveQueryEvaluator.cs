using System.Diagnostics;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The evaluation state of one live query, sans-IO: its plan, the keys changed since its last
/// evaluation, and how the next evaluation turns them into reads. Used in three steps so the reads
/// can run off the owner's thread while further changes keep arriving:
/// <see cref="Take"/> (owner: pending keys become work), <see cref="Run"/> (any thread: the reads,
/// all on one snapshot), <see cref="Complete"/> (owner: the rows are merged into the result, and a
/// full run re-plans). Keyed work gives the same result, and the same events for rows with a unique
/// identity, as a full run would.
/// </summary>
internal sealed class LiveQueryEvaluator
{
    /// <summary>Default most changed keys remembered before the next evaluation re-runs the query instead.</summary>
    public const int DefaultMaxKeys = 4096;

    private readonly int _maxKeys;

    // What the evaluation running now reads: its keys, or everything (a full run); null when none runs.
    private ChangedKeys? _inFlight;
    private bool _inFlightAll;

    // Rows NoteInPlace updates, gathered by Note (allocated only when there is one).
    private List<(byte[] Identity, SqlValue[] Cells)>? _inPlace;

    // Whole rows NoteInPlace inserts or replaces (see TablePlan.RowCells), gathered by Note.
    private List<(TableRestriction Restriction, byte[] Key, SqlValue[] Cells)>? _wholeRows;

    public LiveQueryEvaluator(Statement statement, int maxKeys = DefaultMaxKeys)
    {
        Statement = statement;
        _maxKeys = maxKeys;
        Pending = new ChangedKeys(maxKeys);
        Pending.MarkEverything("not evaluated yet");
    }

    /// <summary>The subscribed statement.</summary>
    public Statement Statement { get; }

    /// <summary>The current plan (from the last full run).</summary>
    public LiveQueryPlan Plan { get; private set; } = LiveQueryPlan.Unplanned("not evaluated yet");

    /// <summary>Keys changed since the last <see cref="Take"/>.</summary>
    public ChangedKeys Pending { get; private set; }

    /// <summary>Something changed that the next evaluation must look at.</summary>
    public bool HasPending => !Pending.IsEmpty;

    /// <summary>
    /// Nothing is pending and no evaluation runs: a changed row whose changes name only result-only
    /// columns and that is not in the result is left out without a trace (see <see cref="LiveQueryIndex"/>).
    /// </summary>
    public bool IsQuiet => _inFlight is null && !_inFlightAll && Pending.IsEmpty;

    /// <summary>Called whenever this query may stop being <see cref="IsQuiet"/> or its plan may change (set by <see cref="LiveQueryIndex"/>).</summary>
    public Action? Unsettled { get; set; }

    /// <summary>What the last completed evaluation did, and why (null before the first).</summary>
    public (EvaluationKind Kind, string? Reason, int Keys)? Last { get; private set; }

    /// <summary>Evaluations completed, per kind.</summary>
    public IReadOnlyDictionary<EvaluationKind, long> Counts => _counts;

    private readonly Dictionary<EvaluationKind, long> _counts = new() { [EvaluationKind.Skipped] = 0, [EvaluationKind.Keyed] = 0, [EvaluationKind.Full] = 0 };

    /// <summary>Seconds the last evaluation by key took (0 before the first).</summary>
    public double LastKeyedSeconds { get; private set; }

    /// <summary>
    /// True when the next evaluation is known to be cheap: by key (every changed table has a
    /// restriction, no full run pending, no LIMIT window that may need one) and the last one by key
    /// took at most <paramref name="quick"/>. Such evaluations can share one snapshot.
    /// </summary>
    public bool IsCheap(TimeSpan quick)
    {
        if (Pending.Everything is not null || Plan.Strategy == LiveQueryStrategy.Window || LastKeyedSeconds > quick.TotalSeconds)
        {
            return false;
        }

        foreach (var (table, keys) in Pending.Tables)
        {
            if (keys.Count > 0 && Plan.Tables.TryGetValue(table, out var tablePlan) && tablePlan.Restriction is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when a change to <paramref name="table"/> concerns this query.</summary>
    public bool Reads(string table) => Plan.Tables.ContainsKey(table);

    /// <summary>Records changed rows of the tables this query reads.</summary>
    public void Note(IEnumerable<Change> changes)
    {
        Pending.AddAll(changes, Reads);
        Unsettled?.Invoke();
    }

    /// <summary>Changed keys left out by <see cref="Note(ChangedRows, MaterializedResult)"/> because their change could not affect the result.</summary>
    public long KeysLeftOut { get; private set; }

    /// <summary>Rows of the result updated in place from a local commit's values by <see cref="NoteInPlace"/>, without an evaluation.</summary>
    public long RowsUpdatedInPlace { get; private set; }

    /// <summary>
    /// Records the changed rows of the tables this query reads, leaving out a row whose change cannot
    /// affect the result: only columns the query uses as plain result columns changed (see
    /// <see cref="TablePlan.ResultOnlyColumns"/>), and the row is not in <paramref name="current"/>, nor
    /// pending, nor read by the evaluation running now — so it was not in the result before this
    /// change and, its filter columns unchanged, is not in it after. Returns the keys left out.
    /// </summary>
    public int Note(ChangedRows changed, MaterializedResult current) => Note(changed, current, inPlace: false);

    /// <summary>
    /// As <see cref="Note(ChangedRows, MaterializedResult)"/>, and a row that is in
    /// <paramref name="current"/> whose change touched only plain result columns is updated there at
    /// once from the changed values, without reading the database: its filter columns unchanged, it
    /// stays in the result, and its new cells are its old ones with those columns' values replaced
    /// (<see cref="TablePlan.ResultOnlyPositions"/>). Only while no evaluation of this query runs and
    /// none is due to re-run it whole (an evaluation's older snapshot could put back the old cells).
    /// Returns the difference (numbered like an evaluation's), or null when no row was updated so.
    /// </summary>
    public ResultDelta? NoteInPlace(ChangedRows changed, MaterializedResult current)
    {
        if (_inFlight is not null || _inFlightAll)
        {
            Note(changed, current, inPlace: false);
            return null;
        }

        Note(changed, current, inPlace: true);
        ResultDelta? delta = null;
        if (_inPlace is { Count: > 0 } rows)
        {
            RowsUpdatedInPlace += rows.Count;
            _inPlace = null;
            delta = current.UpdateCells(rows, Plan.Ordered);
        }

        if (_wholeRows is { Count: > 0 } whole)
        {
            RowsUpdatedInPlace += whole.Count;
            _wholeRows = null;
            var steps = new List<RestrictedRows>(whole.Count);
            foreach (var (restriction, encoded, cells) in whole)
            {
                steps.Add(new RestrictedRows(restriction.Columns, new HashSet<byte[]>(ByteArrayComparer.Instance) { encoded }, [cells]));
            }

            var placed = current.ApplyRestricted(steps, Plan.Ordered);
            delta = delta is null ? placed : new ResultDelta(
                [.. delta.Changes, .. placed.Changes],
                [.. delta.Upserted, .. placed.Upserted],
                [.. delta.Deleted, .. placed.Deleted]);
        }

        return delta;
    }

    private int Note(ChangedRows changed, MaterializedResult current, bool inPlace)
    {
        var left = 0;
        foreach (var (table, rows) in changed.Rows)
        {
            if (!Plan.Tables.TryGetValue(table, out var tablePlan))
            {
                continue;
            }

            var resultOnly = _inFlightAll || Pending.Everything is not null || tablePlan.Restriction is null ? null : tablePlan.ResultOnlyColumns;
            var rowCells = inPlace && !_inFlightAll && Pending.Everything is null && tablePlan.Restriction is not null ? tablePlan.RowCells : null;
            foreach (var row in rows)
            {
                var encoded = row.Encoded;
                if (rowCells is not null && row.Values is { } values && !IsPendingOrInFlight(table, encoded))
                {
                    // The query returns every row of the table as stored, and all of this row's
                    // values are known: its result row is them, inserted or replaced without a read.
                    (_wholeRows ??= []).Add((tablePlan.Restriction!, encoded, WholeRow(rowCells, row.Pk, values)));
                    continue;
                }

                if (resultOnly is not null
                    && row.ColumnsAllIn(resultOnly)
                    && !IsPendingOrInFlight(table, encoded))
                {
                    var restriction = tablePlan.Restriction!;
                    if (!current.Contains(restriction.Columns, encoded))
                    {
                        left++;
                        continue;
                    }

                    if (inPlace && UpdatedCells(current, restriction, encoded, row.Columns!, tablePlan.ResultOnlyPositions) is { } updated)
                    {
                        (_inPlace ??= []).Add(updated);
                        continue;
                    }
                }

                Pending.Add(table, encoded, row.Pk);
                Unsettled?.Invoke();
            }
        }

        KeysLeftOut += left;
        return left;
    }

    private static SqlValue[] WholeRow(IReadOnlyList<(int PkPosition, string? Column)> cells, SqlValue[] pk, IReadOnlyDictionary<string, SqlValue> values)
    {
        var row = new SqlValue[cells.Count];
        for (var c = 0; c < row.Length; c++)
        {
            var (position, column) = cells[c];
            row[c] = position >= 0 ? pk[position] : values[column!];
        }

        return row;
    }

    /// <summary>
    /// The row's identity and its cells with the changed columns' new values, or null when a changed
    /// column's place in the result is not known or is part of the row's identity.
    /// </summary>
    private static (byte[] Identity, SqlValue[] Cells)? UpdatedCells(MaterializedResult current, TableRestriction restriction, byte[] encoded, IReadOnlyDictionary<string, SqlValue> columns, IReadOnlyDictionary<string, int[]>? positions)
    {
        if (positions is null || current.SingleRowOf(restriction.Columns, encoded) is not { } old)
        {
            return null;
        }

        var cells = (SqlValue[])old.Cells.Clone();
        foreach (var (column, value) in columns)
        {
            if (!positions.TryGetValue(column, out var at) || current.AnyIdentityColumn(at))
            {
                return null;
            }

            foreach (var c in at)
            {
                cells[c] = value;
            }
        }

        return (old.Identity, cells);
    }

    private bool IsPendingOrInFlight(string table, byte[] encoded) =>
        (Pending.Count > 0 && Pending.Tables.TryGetValue(table, out var pending) && pending.ContainsKey(encoded))
        || (_inFlight is not null && _inFlight.Tables.TryGetValue(table, out var running) && running.ContainsKey(encoded));

    /// <summary>Records the changes collected elsewhere (while the first run was going) for the tables this query reads.</summary>
    public void Note(ChangedKeys changed)
    {
        Unsettled?.Invoke();
        if (changed.Everything is { } reason)
        {
            Pending.MarkEverything(reason);
            return;
        }

        foreach (var (table, keys) in changed.Tables)
        {
            if (Reads(table))
            {
                foreach (var (encoded, pk) in keys)
                {
                    Pending.Add(table, encoded, pk);
                }
            }
        }
    }

    /// <summary>Records that anything may have changed (lost events, a restart).</summary>
    public void NoteEverything(string reason)
    {
        Pending.MarkEverything(reason);
        Unsettled?.Invoke();
    }

    /// <summary>Takes the first evaluation's result (a full run made elsewhere) as the current rows and plans from it.</summary>
    public void Initialize(LiveQueryResult result, MaterializedResult materialized, double seconds = 0)
    {
        Pending = new ChangedKeys(_maxKeys);
        Merge(new EvaluationOutcome(EvaluationKind.Full, "first evaluation", result, [], 0, seconds), materialized, numberChanges: false);
        // Until its first evaluation by key, a query whose first run was slow is taken to be slow by key too (it runs alone).
        LastKeyedSeconds = seconds;
    }

    /// <summary>Turns the pending changes into the work of one evaluation (on the owner's thread); new changes collect afresh.</summary>
    public EvaluationWork Take(MaterializedResult current)
    {
        Unsettled?.Invoke();
        var pending = Pending;
        Pending = new ChangedKeys(_maxKeys);
        _inFlight = pending;
        _inFlightAll = false;
        EvaluationWork Full(string reason)
        {
            _inFlightAll = true;
            return new(Statement, Plan, EvaluationKind.Full, reason, [], WindowCheck: false);
        }

        if (pending.Everything is { } everything)
        {
            return Full(everything);
        }

        var steps = new List<(TableRestriction, Dictionary<byte[], SqlValue[]>)>();
        foreach (var (table, keys) in pending.Tables)
        {
            if (keys.Count == 0 || !Plan.Tables.TryGetValue(table, out var tablePlan))
            {
                continue;
            }

            if (tablePlan.Restriction is not { } restriction)
            {
                return Full($"{table} changed, and a change to it {tablePlan.Reason}");
            }

            if (IsWholeKey(restriction, keys))
            {
                // The restriction is the primary key in order: the pending keys (owned by this work now) serve as they are.
                steps.Add((restriction, keys));
                continue;
            }

            var projected = new Dictionary<byte[], SqlValue[]>(ByteArrayComparer.Instance);
            foreach (var pk in keys.Values)
            {
                var values = restriction.PkPositions.Select(p => pk[p]).ToArray();
                projected.TryAdd(RowCodec.Encode(values), values);
            }

            steps.Add((restriction, projected));
        }

        if (steps.Count == 0)
        {
            return new EvaluationWork(Statement, Plan, EvaluationKind.Skipped, "no table it reads changed", [], WindowCheck: false);
        }

        if (Plan.Strategy == LiveQueryStrategy.Window)
        {
            foreach (var (restriction, keys) in steps)
            {
                if (current.ContainsAny(restriction.Columns, keys.Keys))
                {
                    return Full("a changed row is in the LIMIT window");
                }
            }

            return new EvaluationWork(Statement, Plan, EvaluationKind.Keyed, null, steps, WindowCheck: true);
        }

        return new EvaluationWork(Statement, Plan, EvaluationKind.Keyed, null, steps, WindowCheck: false);
    }

    private static bool IsWholeKey(TableRestriction restriction, Dictionary<byte[], SqlValue[]> keys)
    {
        var positions = restriction.PkPositions;
        foreach (var pk in keys.Values)
        {
            if (pk.Length != positions.Length)
            {
                return false;
            }

            break;
        }

        for (var i = 0; i < positions.Length; i++)
        {
            if (positions[i] != i)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Does the reads of <paramref name="work"/> on one snapshot (any thread). Keyed work that cannot
    /// be written as keyed statements, or whose statements fail, becomes a full run.
    /// </summary>
    /// <exception cref="SqlException">The full run failed.</exception>
    public static EvaluationOutcome Run(EvaluationWork work, ILiveQueryReader reader)
    {
        var started = Stopwatch.GetTimestamp();
        double Elapsed() => Stopwatch.GetElapsedTime(started).TotalSeconds;
        EvaluationOutcome Full(string reason) => new(EvaluationKind.Full, reason, reader.Evaluate(work.Statement), [], work.KeyCount, Elapsed());

        switch (work.Kind)
        {
            case EvaluationKind.Skipped:
                return new EvaluationOutcome(EvaluationKind.Skipped, work.Reason, null, [], 0, Elapsed());
            case EvaluationKind.Full:
                return Full(work.Reason ?? "a full run was asked for");
        }

        var steps = new List<RestrictedRows>();
        foreach (var (restriction, keys) in work.Steps)
        {
            foreach (var key in keys.Values)
            {
                foreach (var value in key)
                {
                    if (!RestrictedStatement.IsExactKey(value))
                    {
                        return Full("a changed key holds a REAL or NULL value, which cannot be matched by key");
                    }
                }
            }

            var rows = new List<SqlValue[]>();
            try
            {
                // Prepared statements of a few shapes (key slots in powers of two) serve every evaluation.
                var max = RestrictedStatement.Slots(int.MaxValue, restriction.Columns.Length);
                foreach (var chunk in keys.Values.Chunk(max))
                {
                    var slots = RestrictedStatement.Slots(chunk.Length, restriction.Columns.Length);
                    var sql = work.Plan.KeyedTemplate(restriction, slots, work.WindowCheck);
                    rows.AddRange(reader.KeyedRows(work.Statement, sql, RestrictedStatement.FirstKeyParameter, chunk, slots));
                }
            }
            catch (SqlException e)
            {
                return Full("the keyed statement failed (" + e.Message + ")");
            }

            if (work.WindowCheck && rows.Count > 0)
            {
                return Full("a changed row now matches and may enter the LIMIT window");
            }

            steps.Add(new RestrictedRows(restriction.Columns, new HashSet<byte[]>(keys.Keys, ByteArrayComparer.Instance), rows));
        }

        return work.WindowCheck
            ? new EvaluationOutcome(EvaluationKind.Skipped, "no changed row is in the LIMIT window or matches now", null, [], work.KeyCount, Elapsed())
            : new EvaluationOutcome(EvaluationKind.Keyed, null, null, steps, work.KeyCount, Elapsed());
    }

    /// <summary>Merges what <see cref="Run"/> read into <paramref name="materialized"/> (on the owner's thread) and returns the difference.</summary>
    public ResultDelta Complete(EvaluationOutcome outcome, MaterializedResult materialized) => Merge(outcome, materialized, numberChanges: true);

    private ResultDelta Merge(EvaluationOutcome outcome, MaterializedResult materialized, bool numberChanges)
    {
        // The plan may change: the index looks again at the next visit.
        Unsettled?.Invoke();
        _inFlight = null;
        _inFlightAll = false;
        _counts[outcome.Kind]++;
        Last = (outcome.Kind, outcome.Reason, outcome.Keys);
        if (outcome.Kind == EvaluationKind.Keyed)
        {
            LastKeyedSeconds = outcome.Seconds;
        }

        switch (outcome.Kind)
        {
            case EvaluationKind.Full:
                var result = outcome.Full!;
                var keyColumns = RowIdentity.KeyColumns(result.Columns, result.Tables);
                var delta = materialized.Apply(result.Rows, keyColumns, numberChanges);
                Plan = LiveQueryPlanner.Plan(Statement.Sql, result.Columns, result.Tables, keyColumns);
                materialized.DropIndexes();
                foreach (var table in Plan.Tables.Values)
                {
                    if (table.Restriction is { } restriction)
                    {
                        materialized.Index(restriction);
                    }
                }

                return delta;
            case EvaluationKind.Keyed:
                return materialized.ApplyRestricted(outcome.Steps, Plan.Ordered);
            default:
                return new ResultDelta([], [], []);
        }
    }
}
