namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Which live queries a changed row can concern, so a write touches only those, not every query of
/// its table. A query is <em>settled</em> on a table when nothing of it is pending or being evaluated
/// (<see cref="LiveQueryEvaluator.IsQuiet"/>) and its plan for the table is keyed by the table's whole
/// primary key with known result-only columns (<see cref="TablePlan.ResultOnlyColumns"/>): then a
/// changed row whose changes name only those columns concerns it only when the row is in its result
/// (<see cref="LiveQueryEvaluator.Note(ChangedRows, MaterializedResult)"/> leaves any other out), so
/// such a query is found by the row's key among the keys its result holds. Every other query reading
/// the table (unsettled, or planned otherwise) is visited on every change, as before.
/// </summary>
/// <remarks>
/// The keys a query's result holds are kept from its rows as they enter the result
/// (<see cref="MaterializedResult.RowEntered"/>); rows that leave are not taken out at once, so the
/// keys are a superset (a query visited for nothing leaves the row out as before), rebuilt when they
/// grow past twice the result. A query that stops being quiet (<see cref="LiveQueryEvaluator.Unsettled"/>)
/// is visited on every change to its tables until a visit finds it quiet again. Owned by one thread
/// (the subscription actor's).
/// </remarks>
internal sealed class LiveQueryIndex
{
    private readonly HashSet<LiveSubscription> _unsettled = [];
    private readonly Dictionary<string, TableReaders> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<LiveSubscription, List<Registration>> _registrations = [];
    private readonly HashSet<LiveSubscription> _candidates = [];

    /// <summary>Queries visited on every change to their tables until a visit settles them.</summary>
    public int Unsettled => _unsettled.Count;

    /// <summary>Starts indexing <paramref name="subscription"/> (unsettled until its first visit finds it quiet).</summary>
    public void Add(LiveSubscription subscription)
    {
        subscription.Evaluator.Unsettled = () => _unsettled.Add(subscription);
        subscription.Result.RowEntered = row => Entered(subscription, row);
        _unsettled.Add(subscription);
    }

    /// <summary>Stops indexing <paramref name="subscription"/>.</summary>
    public void Remove(LiveSubscription subscription)
    {
        subscription.Evaluator.Unsettled = null;
        subscription.Result.RowEntered = null;
        _unsettled.Remove(subscription);
        Unregister(subscription);
    }

    /// <summary>Forgets every query.</summary>
    public void Clear()
    {
        foreach (var subscription in _registrations.Keys.Concat(_unsettled).ToList())
        {
            Remove(subscription);
        }
    }

    /// <summary>
    /// The queries <paramref name="changed"/> can concern (a superset): the unsettled ones reading a
    /// changed table, those settled on it whose result may hold a changed row, those of a changed row
    /// whose changes name a column they use otherwise, and those planned otherwise. The set is reused
    /// by the next call.
    /// </summary>
    public IReadOnlyCollection<LiveSubscription> Candidates(ChangedRows changed)
    {
        _candidates.Clear();
        foreach (var (table, rows) in changed.Rows)
        {
            foreach (var subscription in _unsettled)
            {
                if (subscription.Tables.Contains(table))
                {
                    _candidates.Add(subscription);
                }
            }

            if (!_tables.TryGetValue(table, out var readers))
            {
                continue;
            }

            _candidates.UnionWith(readers.Always);
            foreach (var group in readers.Groups)
            {
                foreach (var row in rows)
                {
                    if (!row.ColumnsAllIn(group.ResultOnly))
                    {
                        _candidates.UnionWith(group.Members);
                        break;
                    }

                    if (group.Holders.TryGetValue(row.Encoded, out var holders))
                    {
                        _candidates.UnionWith(holders);
                    }
                }
            }
        }

        return _candidates;
    }

    /// <summary>
    /// After a visit: an unsettled query that is quiet now is settled on the tables of its plan (its
    /// result's keys indexed again only when its plan's restriction or result-only columns changed).
    /// </summary>
    public void Settle(LiveSubscription subscription)
    {
        if (!_unsettled.Contains(subscription) || !subscription.Evaluator.IsQuiet)
        {
            return;
        }

        var plan = subscription.Evaluator.Plan;
        if (plan.Tables.Count == 0)
        {
            // Not planned yet: nothing to index it by.
            return;
        }

        if (!_registrations.TryGetValue(subscription, out var current) || !Matches(current, plan))
        {
            Unregister(subscription);
            Register(subscription, plan);
        }

        _unsettled.Remove(subscription);
    }

    private static bool Matches(List<Registration> registrations, LiveQueryPlan plan)
    {
        if (registrations.Count != plan.Tables.Count)
        {
            return false;
        }

        foreach (var registration in registrations)
        {
            if (registration.Stale || !plan.Tables.TryGetValue(registration.Table, out var tablePlan))
            {
                return false;
            }

            var (columns, resultOnly) = Keyed(tablePlan);
            if (registration.Group is null
                ? columns is not null
                : columns is null || !columns.AsSpan().SequenceEqual(registration.Columns) || !registration.Group.ResultOnly.SetEquals(resultOnly!))
            {
                return false;
            }
        }

        return true;
    }

    private static (int[]? Columns, IReadOnlySet<string>? ResultOnly) Keyed(TablePlan tablePlan) =>
        tablePlan is { Restriction: { } restriction, ResultOnlyColumns: { } resultOnly } ? (restriction.Columns, resultOnly) : (null, null);

    private void Register(LiveSubscription subscription, LiveQueryPlan plan)
    {
        var registrations = new List<Registration>(plan.Tables.Count);
        foreach (var (table, tablePlan) in plan.Tables)
        {
            if (!_tables.TryGetValue(table, out var readers))
            {
                readers = new TableReaders();
                _tables[table] = readers;
            }

            var (columns, resultOnly) = Keyed(tablePlan);
            if (columns is null)
            {
                readers.Always.Add(subscription);
                registrations.Add(new Registration(table, null, []));
                continue;
            }

            var group = readers.Groups.Find(g => ReferenceEquals(g.ResultOnly, resultOnly) || g.ResultOnly.SetEquals(resultOnly!));
            if (group is null)
            {
                group = new Group(resultOnly!);
                readers.Groups.Add(group);
            }

            group.Members.Add(subscription);
            var registration = new Registration(table, group, columns);
            registrations.Add(registration);
            foreach (var row in subscription.Result.Rows)
            {
                Hold(subscription, registration, row);
            }
        }

        _registrations[subscription] = registrations;
    }

    private void Unregister(LiveSubscription subscription)
    {
        if (!_registrations.Remove(subscription, out var registrations))
        {
            return;
        }

        foreach (var registration in registrations)
        {
            if (!_tables.TryGetValue(registration.Table, out var readers))
            {
                continue;
            }

            readers.Always.Remove(subscription);
            if (registration.Group is { } group)
            {
                group.Members.Remove(subscription);
                foreach (var key in registration.Keys)
                {
                    if (group.Holders.TryGetValue(key, out var holders) && holders.Remove(subscription) && holders.Count == 0)
                    {
                        group.Holders.Remove(key);
                    }
                }

                if (group.Members.Count == 0)
                {
                    readers.Groups.Remove(group);
                }
            }

            if (readers.Always.Count == 0 && readers.Groups.Count == 0)
            {
                _tables.Remove(registration.Table);
            }
        }
    }

    private void Entered(LiveSubscription subscription, MaterializedRow row)
    {
        if (!_registrations.TryGetValue(subscription, out var registrations))
        {
            return;
        }

        foreach (var registration in registrations)
        {
            if (registration.Group is null)
            {
                continue;
            }

            Hold(subscription, registration, row);
            if (registration.Keys.Count > (2 * subscription.Result.Count) + 64)
            {
                // Keys of rows long gone: index the result afresh at the next settling.
                registration.Stale = true;
                _unsettled.Add(subscription);
            }
        }
    }

    private static void Hold(LiveSubscription subscription, Registration registration, MaterializedRow row)
    {
        var columns = registration.Columns;
        var values = new Storage.SqlValue[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            values[i] = row.Cells[columns[i]];
        }

        var key = RowCodec.Encode(values);
        if (registration.Keys.Add(key))
        {
            var holders = registration.Group!.Holders;
            if (!holders.TryGetValue(key, out var set))
            {
                set = [];
                holders[key] = set;
            }

            set.Add(subscription);
        }
    }

    private sealed class TableReaders
    {
        /// <summary>Settled on the table, but not keyed with result-only columns: every change concerns them.</summary>
        public HashSet<LiveSubscription> Always { get; } = [];

        public List<Group> Groups { get; } = [];
    }

    /// <summary>The settled queries of one table sharing one set of result-only columns.</summary>
    private sealed class Group(IReadOnlySet<string> resultOnly)
    {
        public IReadOnlySet<string> ResultOnly { get; } = resultOnly;

        public HashSet<LiveSubscription> Members { get; } = [];

        public Dictionary<byte[], HashSet<LiveSubscription>> Holders { get; } = new(ByteArrayComparer.Instance);
    }

    private sealed class Registration(string table, Group? group, int[] columns)
    {
        public string Table { get; } = table;

        public Group? Group { get; } = group;

        public int[] Columns { get; } = columns;

        public HashSet<byte[]> Keys { get; } = new(ByteArrayComparer.Instance);

        public bool Stale { get; set; }
    }
}
