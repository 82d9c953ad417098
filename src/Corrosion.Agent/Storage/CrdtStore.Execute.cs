using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    /// <summary>
    /// Runs the statements in one SQLite transaction. Triggers record a clock entry per changed
    /// cell under the next local version. On any failure everything is rolled back and a
    /// <see cref="StatementException"/> names the failing statement.
    /// </summary>
    /// <param name="statements">The statements, in order.</param>
    /// <param name="timeout">Interrupts the transaction when it runs longer than this.</param>
    public TransactionResult Execute(IReadOnlyList<Statement> statements, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var started = Stopwatch.GetTimestamp();
        Begin();
        try
        {
            var (results, version, changesets) = RunTransaction(statements, timeout);
            Commit();
            if (version is { } committed)
            {
                CurrentVersion = committed;
            }

            return new TransactionResult(results, version, changesets, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>
    /// Group commit: runs several transactions in one SQLite transaction, each under its own
    /// SAVEPOINT, and commits once. A transaction that fails is rolled back alone and gets its own
    /// error; each one that changes replicated rows gets its own version, in order. Nothing is
    /// durable (nor <see cref="CurrentVersion"/> advanced) before the shared commit; if that
    /// commit fails, every transaction of the group fails with its error.
    /// </summary>
    /// <param name="transactions">The transactions, in the order their versions are given.</param>
    /// <param name="timeout">Per transaction: interrupts one that runs longer than this.</param>
    /// <returns>One outcome per transaction, in order.</returns>
    public IReadOnlyList<GroupedTransaction> ExecuteGroup(IReadOnlyList<IReadOnlyList<Statement>> transactions, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var outcomes = new List<GroupedTransaction>(transactions.Count);
        if (transactions.Count == 0)
        {
            return outcomes;
        }

        var versionBefore = CurrentVersion;
        Begin();
        try
        {
            foreach (var statements in transactions)
            {
                var watch = Stopwatch.StartNew();
                Prepared("SAVEPOINT corro_group_tx").Run();
                try
                {
                    var (results, version, changesets) = RunTransaction(statements, timeout);
                    Prepared("RELEASE corro_group_tx").Run();
                    if (version is { } v)
                    {
                        // The next transaction of the group takes the next version.
                        CurrentVersion = v;
                    }

                    outcomes.Add(new GroupedTransaction(new TransactionResult(results, version, changesets, watch.Elapsed), null));
                }
                catch (SqlException e)
                {
                    Prepared("ROLLBACK TO corro_group_tx").Run();
                    Prepared("RELEASE corro_group_tx").Run();
                    outcomes.Add(new GroupedTransaction(null, e as StatementException ?? new StatementException(-1, e.Message)));
                }
            }

            Commit();
            return outcomes;
        }
        catch (SqlException e)
        {
            CurrentVersion = versionBefore;
            Rollback();
            var failed = new StatementException(-1, $"the group's commit failed: {e.Message}");
            return transactions.Select(_ => new GroupedTransaction(null, failed, WholeGroupFailed: true)).ToList();
        }
        catch
        {
            CurrentVersion = versionBefore;
            Rollback();
            throw;
        }
    }

    /// <summary>
    /// Runs one transaction's statements inside an open SQLite transaction (or savepoint) and
    /// records its version; the caller commits or rolls back.
    /// </summary>
    private (List<StatementResult> Results, long? Version, IReadOnlyList<ChangesetFull> Changesets) RunTransaction(IReadOnlyList<Statement> statements, TimeSpan? timeout)
    {
        var results = new List<StatementResult>(statements.Count);
        var interruptible = timeout is { } limit && StartDeadline(limit);

        // Local writes are bound by db.max_value_size; merges of peers' changes are not.
        var unboundedLength = raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_LENGTH, _maxValueSize);
        _localWrite = true;
        _pendingVersion = CurrentVersion + 1;
        _nextSeq = 0;
        _touched.Clear();
        _pendingInserts.Clear();
        _insertValues.Clear();
        _inserted.Clear();
        ClearHookOps();
        var index = 0;
        try
        {
            // One clock read per statement: each one's end is the next one's start.
            var started = Stopwatch.GetTimestamp();
            for (; index < statements.Count; index++)
            {
                var rows = RunStatement(statements[index]);
                var ended = Stopwatch.GetTimestamp();
                results.Add(new StatementResult(rows, Stopwatch.GetElapsedTime(started, ended)));
                started = ended;
            }

            FlushInserts();
            _localWrite = false;
            // A drawn seq does not prove a write (a sentinel upsert that found the wanted causal
            // length draws one and writes nothing; ROLLBACK TO undoes writes): the version exists
            // only when cells carry it.
            _versionKeys.Clear();
            var changes = _nextSeq > 0 ? CollectTouched(_pendingVersion) : null;
            if (changes is not { Count: > 0 })
            {
                return (results, null, Array.Empty<ChangesetFull>());
            }

            var v = _pendingVersion;
            var lastSeq = _nextSeq - 1;
            var ts = NextTimestamp();
            // The version's key lists ride in its row: one row per transaction, whatever it wrote.
            (_writeVersion ??= Prepared("INSERT OR REPLACE INTO __corro_versions (site_id, version, last_seq, ts, keys) VALUES (?1, ?2, ?3, ?4, ?5)"))
                .BindBlob(1, _siteIdBytes).Bind(2, v).Bind(3, lastSeq).Bind(4, (long)ts).BindBlob(5, _versionKeys.WrittenSpan).Run();
            // In memory only: LoadState derives local versions from __corro_versions (and
            // Rollback reloads it, so a version rolled back is forgotten).
            AppliedOf(SiteId).Include(v, v);
            return (results, v, Chunk(SiteId, v, changes, lastSeq, ts));
        }
        catch (SqlException e)
        {
            _localWrite = false;
            throw e as StatementException ?? new StatementException(Math.Min(index, statements.Count - 1), e.Message);
        }
        finally
        {
            _localWrite = false;
            // Keys of inserts that were rolled back with the transaction (or its savepoint).
            _pendingInserts.Clear();
            _insertValues.Clear();
            _inserted.Clear();
            ClearHookOps();
            raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_LENGTH, unboundedLength);
            if (interruptible)
            {
                StopDeadline();
            }
        }
    }

    // The running local transaction's deadline (Stopwatch ticks), which OnProgress checks.
    private long _deadline;

    /// <summary>
    /// Interrupts the writer's statements once <paramref name="limit"/> has passed: SQLite's progress handler (every 1000
    /// VM instructions) compares the clock with <see cref="_deadline"/>. Registered directly with a static callback and
    /// the store's handle as its context: SQLitePCLRaw's <c>sqlite3_progress_handler</c> allocated a hook object and a
    /// GC handle on every call (twice per transaction, with the closure holding the deadline).
    /// </summary>
    private unsafe bool StartDeadline(TimeSpan limit)
    {
        _deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        SqliteNative.sqlite3_progress_handler(_db.DangerousGetHandle(), ProgressInstructions, &OnProgress, GCHandle.ToIntPtr(_self));
        return true;
    }

    private unsafe void StopDeadline() => SqliteNative.sqlite3_progress_handler(_db.DangerousGetHandle(), 0, null, IntPtr.Zero);

    // VM instructions between two calls of the progress handler.
    private const int ProgressInstructions = 1000;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnProgress(IntPtr context) =>
        Stopwatch.GetTimestamp() > ((CrdtStore)GCHandle.FromIntPtr(context).Target!)._deadline ? 1 : 0;

    // The local version's row, prepared once (not looked up by its text per transaction).
    private NativeStatement? _writeVersion;

    // The running local transaction's key lists, encoded for its __corro_versions row.
    private readonly System.Buffers.ArrayBufferWriter<byte> _versionKeys = new();

    // Rows inserted by the running local transaction into tables that batch their inserts' clock rows
    // (CrrTable.BatchesInserts), in order, whose clock rows FlushInserts has not written yet; ValueAt: where the row's
    // values (as corro_insert received them, one per value column) start in _insertValues.
    private readonly List<(int Table, long Key, int ValueAt)> _pendingInserts = new();

    // The values of the running local transaction's batched inserts (see _pendingInserts, _inserted).
    private readonly List<SqlValue> _insertValues = new();

    // Rows FlushInserts found new and wrote the clock rows of (every value column: col_version 1, this version, seqs
    // from FirstSeq on, no sentinel): their changes are made from their inserted values at the end of the transaction,
    // without reading them back, unless a trigger touched the key after (an update, delete or key change: then it is
    // read back like any touched key). A ROLLBACK TO moves them all to _touched (the insert may be undone).
    private readonly List<(int Table, long Key, int ValueAt, long FirstSeq)> _inserted = new();

    private Func<int, long>? _drawSeqs;

    // A block of seqs for FlushInserts (as corro_next_seqs): the first.
    private long DrawSeqs(int count)
    {
        var first = _nextSeq;
        _nextSeq += count;
        return first;
    }

    // FlushInserts' JSON array of keys.
    private readonly System.Buffers.ArrayBufferWriter<byte> _insertKeys = new();

    /// <summary>
    /// Whether local writes are captured by the pre-update hook with the writer's triggers off (CrdtStore.Hook.cs), and
    /// inserts into tables keyed by their rowid alias have their clock rows written together (<see cref="FlushInserts"/>);
    /// else the triggers capture them row by row. Both give the same clocks. Tests turn it off to compare. Turning it
    /// off (outside a transaction) turns the writer's triggers on and gives the insert triggers back their bodies.
    /// </summary>
    internal bool BatchInserts
    {
        get => _batchInserts;
        set
        {
            if (value == _batchInserts)
            {
                return;
            }

            _batchInserts = value;
            foreach (var crr in _tablesById.Where(t => t.BatchesInserts))
            {
                NativeStatement.Exec(_db, crr.TriggersDdl(value));
            }

            // Batched, local writes are captured by the pre-update hook with the writer's triggers off; else by the
            // triggers, as before (tests compare the two).
            CaptureByHook(value);
        }
    }

    private bool _batchInserts = true;

    /// <summary>
    /// Writes the clock rows of the inserts queued so far (as their triggers would have, in the same order), one
    /// statement per run of one table's keys. Runs at the end of a transaction, and before anything that may read
    /// those clock rows: an update or delete trigger (their WHEN calls it), a user statement that reads the store's
    /// tables.
    /// </summary>
    private void FlushInserts()
    {
        var pending = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pendingInserts);
        try
        {
            for (var start = 0; start < pending.Length;)
            {
                var table = pending[start].Table;
                var end = start + 1;
                while (end < pending.Length && pending[end].Table == table)
                {
                    end++;
                }

                var crr = _tablesById[table];
                if (crr.WriteInsertClocks(pending[start..end], _pendingVersion, _insertKeys, _drawSeqs ??= DrawSeqs) is { } firstSeq)
                {
                    var columns = crr.Schema.ValueColumns.Count;
                    for (var i = start; i < end; i++)
                    {
                        _inserted.Add((table, pending[i].Key, pending[i].ValueAt, firstSeq + (long)(i - start) * columns));
                    }
                }
                else
                {
                    foreach (var (_, key, _) in pending[start..end])
                    {
                        _touched.Add((table, key));
                    }
                }

                start = end;
            }
        }
        finally
        {
            _pendingInserts.Clear();
        }
    }

    private const int StatementCacheSize = 128;

    private readonly Dictionary<string, NativeStatement> _userStatements = new(StringComparer.Ordinal);

    // The cached statement run last and its text: a transaction that repeats one statement (the same string) finds it
    // without hashing the text.
    private (string? Sql, NativeStatement? Stmt) _lastUserStatement;

    private long RunStatement(Statement statement)
    {
        if (ReferenceEquals(statement.Sql, _lastUserStatement.Sql))
        {
            return RunPrepared(_lastUserStatement.Stmt!, statement, owned: false);
        }

        // Single statements are prepared once and reused: preparing a write also compiles the
        // CRR triggers, which costs more than running it.
        if (_userStatements.TryGetValue(statement.Sql, out var cached))
        {
            _lastUserStatement = (statement.Sql, cached);
            return RunPrepared(cached, statement, owned: false);
        }

        var first = PrepareUserStatement(statement.Sql, out var tail);
        if (first is null)
        {
            throw new SqlException("empty statement");
        }

        RefuseTransactionControl(first);
        if (NativeStatement.IsOnlyComments(tail))
        {
            if (_userStatements.Count >= StatementCacheSize)
            {
                foreach (var old in _userStatements.Values)
                {
                    old.Dispose();
                }

                _userStatements.Clear();
            }

            _userStatements[statement.Sql] = first;
            _lastUserStatement = (statement.Sql, first);
            return RunPrepared(first, statement, owned: false);
        }

        // Several statements in one text share the parameters: each takes what it names.
        var rows = RunPrepared(first, statement, owned: true, strict: false);
        return rows + RunText(tail, statement);
    }

    private static void RefuseTransactionControl(NativeStatement stmt)
    {
        var text = stmt.Sql.TrimStart();
        var end = 0;
        while (end < text.Length && char.IsLetter(text[end]))
        {
            end++;
        }

        var word = text[..end].ToUpperInvariant();
        var rollbackTo = word == "ROLLBACK" && text.Contains(" TO ", StringComparison.OrdinalIgnoreCase);
        if (word is "BEGIN" or "COMMIT" or "END" or "ROLLBACK" && !rollbackTo)
        {
            stmt.Dispose();
            throw new SqlException("transaction control statements (BEGIN, COMMIT, ROLLBACK) are not allowed: every request is one transaction");
        }
    }

    private long RunPrepared(NativeStatement stmt, Statement statement, bool owned, bool strict = true)
    {
        try
        {
            BindParameters(stmt, statement, strict);
            if (stmt.FlushesInserts)
            {
                ForgetKeyCeilings();
                if (_pendingInserts.Count > 0)
                {
                    FlushInserts();
                }

                // A ROLLBACK TO may undo inserts, a write to a clock table change their clocks: read them back.
                foreach (var (table, key, _, _) in _inserted)
                {
                    _touched.Add((table, key));
                }

                _inserted.Clear();
            }

            var readOnly = stmt.IsReadOnly;
            while (stmt.Step())
            {
            }

            var db = _db.DangerousGetHandle();
            if (SqliteNative.sqlite3_get_autocommit(db) != 0)
            {
                throw new SqlException("transaction control statements (BEGIN, COMMIT, ROLLBACK) are not allowed");
            }

            var changed = readOnly ? 0 : SqliteNative.sqlite3_changes(db);
            if (_batchInserts)
            {
                FlushHookOps();
            }

            return changed;
        }
        finally
        {
            if (owned)
            {
                stmt.Dispose();
            }
            else
            {
                stmt.Reset();
            }
        }
    }

    private long RunText(string text, Statement statement)
    {
        var rest = text;
        long rows = 0;
        while (!NativeStatement.IsOnlyComments(rest))
        {
            var stmt = PrepareUserStatement(rest, out rest);
            if (stmt is null)
            {
                break;
            }

            RefuseTransactionControl(stmt);
            rows += RunPrepared(stmt, statement, owned: true, strict: false);
        }

        return rows;
    }

    /// <summary>
    /// Binds every parameter slot of <paramref name="stmt"/>. A slot left without a value is an error
    /// (SQLite would silently bind NULL, or a cached statement's previous value); with
    /// <paramref name="strict"/> (a single statement), so is a value the statement has no slot for.
    /// </summary>
    private static void BindParameters(NativeStatement stmt, Statement statement, bool strict) => BindParameters(stmt, statement, strict, stmt.ParameterCount);

    /// <summary>Binds the statement's own parameters, the first <paramref name="count"/> of <paramref name="stmt"/> (those after are bound by the caller).</summary>
    private static void BindParameters(NativeStatement stmt, Statement statement, bool strict, int count)
    {
        // No clearing first: every slot gets a value here or this throws before the statement runs, and a reused
        // statement's Reset clears its bindings anyway.
        Span<bool> bound = count <= 64 ? stackalloc bool[count + 1] : new bool[count + 1];
        if (statement.Params is { } positional)
        {
            if (strict && positional.Count > count)
            {
                throw new SqlException($"too many parameters: the statement takes {count}, got {positional.Count}");
            }

            for (var i = 0; i < positional.Count && i < count; i++)
            {
                stmt.Bind(i + 1, positional[i]);
                bound[i + 1] = true;
            }
        }

        if (statement.NamedParams is { } named)
        {
            foreach (var (name, value) in named)
            {
                var index = name.Length > 0 && name[0] is ':' or '@' or '$'
                    ? stmt.ParameterIndex(name)
                    : FirstNonZero(stmt.ParameterIndex(":" + name), stmt.ParameterIndex("@" + name), stmt.ParameterIndex("$" + name));
                if (index > 0 && index <= count)
                {
                    stmt.Bind(index, value);
                    bound[index] = true;
                }
                else if (strict)
                {
                    throw new SqlException($"unknown parameter \"{name}\": the statement has no :{name.TrimStart(':', '@', '$')}");
                }
            }
        }

        for (var i = 1; i <= count; i++)
        {
            if (!bound[i])
            {
                var slot = stmt.ParameterName(i) ?? $"?{i}";
                throw new SqlException($"missing value for parameter {slot}");
            }
        }
    }

    private static int FirstNonZero(int a, int b, int c) => a != 0 ? a : b != 0 ? b : c;

    /// <summary>Cuts a version's changes (sorted by seq) into chunks whose seq ranges are contiguous and cover 0..lastSeq.</summary>
    private List<ChangesetFull> Chunk(ActorId actor, long version, List<Change> changes, long lastSeq, ulong ts)
    {
        var max = Math.Max(1, _options.MaxChangesPerChunk);
        if (changes.Count <= max)
        {
            // One chunk (the common case): the list itself, not a copy.
            return [new ChangesetFull(actor, version, changes, new SeqRange(0, lastSeq), lastSeq, ts)];
        }

        var chunks = new List<ChangesetFull>();
        long start = 0;
        for (var i = 0; i < changes.Count; i += max)
        {
            var count = Math.Min(max, changes.Count - i);
            var part = changes.GetRange(i, count);
            var last = i + count >= changes.Count;
            var end = last ? lastSeq : part[^1].Seq;
            chunks.Add(new ChangesetFull(actor, version, part, new SeqRange(start, end), lastSeq, ts));
            start = end + 1;
        }

        return chunks;
    }

    /// <summary>
    /// The cells the running local transaction wrote, in seq order, read from the rows its triggers
    /// touched (no index by version needed) and made from the values of the rows it inserted new
    /// (<see cref="_inserted"/>); encodes the keys that have them as the version's key
    /// lists (<see cref="_versionKeys"/>, written in its <c>__corro_versions</c> row), which
    /// <see cref="ChangesFor"/> reads later.
    /// </summary>
    private List<Change> CollectTouched(long version)
    {
        if (_touched.Count == 0 && _inserted.Count == 0)
        {
            return new List<Change>();
        }

        // By table, then key: each row is read once. (Inserts come in order, typically.)
        SortUnlessSorted(_touched);
        SortUnlessSorted(_inserted);
        // Collected into a buffer kept across transactions, then copied into a list of the exact size: filling a fresh
        // list reallocated it as it grew (two or three times for one row read back by CrrTable.ReadVersionRow).
        var changes = _collected;
        changes.Clear();
        var keys = _collectKeys;
        var withCells = _collectWithCells;
        var (t, n) = (0, 0);
        while (t < _touched.Count || n < _inserted.Count)
        {
            var table = t < _touched.Count && (n >= _inserted.Count || _touched[t].Table <= _inserted[n].Table) ? _touched[t].Table : _inserted[n].Table;
            keys.Clear();
            for (; t < _touched.Count && _touched[t].Table == table; t++)
            {
                keys.Add(_touched[t].Key);
            }

            var first = n;
            while (n < _inserted.Count && _inserted[n].Table == table)
            {
                n++;
            }

            if (table < 0 || table >= _tablesById.Length)
            {
                continue;
            }

            withCells.Clear();
            var crr = _tablesById[table];
            crr.CollectKeys(keys, CrrTable.LocalSite, version, SiteId, changes, withCells);
            for (var i = first; i < n; i++)
            {
                var (_, key, valueAt, firstSeq) = _inserted[i];
                // A key a trigger touched after its insert was read back above.
                if (keys.BinarySearch(key) < 0)
                {
                    crr.AddInserted(key, _insertValues, valueAt, firstSeq, version, SiteId, changes);
                    withCells.Add(key);
                }
            }

            VersionKeys.Append(_versionKeys, crr.Name, withCells);
        }

        _touched.Clear();
        _inserted.Clear();
        // New rows' changes come in seq order already (one table's inserts, typically).
        var sorted = true;
        for (var i = 1; i < changes.Count && sorted; i++)
        {
            sorted = changes[i - 1].Seq < changes[i].Seq;
        }

        if (!sorted)
        {
            changes.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        }

        var collected = new List<Change>(changes);
        changes.Clear();
        return collected;
    }

    // CollectTouched's changes while it reads them (see there).
    private readonly List<Change> _collected = new();

    private static void SortUnlessSorted<T>(List<T> items)
        where T : IComparable<T>
    {
        for (var i = 1; i < items.Count; i++)
        {
            if (items[i - 1].CompareTo(items[i]) > 0)
            {
                items.Sort();
                return;
            }
        }
    }

    // CollectTouched's per-table key lists, reused (cleared per table).
    private readonly List<long> _collectKeys = new();
    private readonly List<long> _collectWithCells = new();

    /// <summary>All cells currently held for (site, version), across tables, in seq order.</summary>
    private List<Change> CollectVersion(long site, long version, ActorId actor)
    {
        var changes = new List<Change>();
        // Key lists in the version's own row (layout 4's local versions), by table name.
        Dictionary<string, List<long>>? inRow = null;
        var read = Prepared("SELECT keys FROM __corro_versions WHERE site_id = ?1 AND version = ?2 AND keys IS NOT NULL");
        read.BindBlob(1, actor.ToByteArray()).Bind(2, version);
        try
        {
            if (read.Step())
            {
                inRow = VersionKeys.Decode(read.GetUtf8(0));
            }
        }
        finally
        {
            read.Reset();
        }

        foreach (var table in _tables.Values)
        {
            table.CollectVersion(site, version, actor, changes, inRow?.GetValueOrDefault(table.Name));
        }

        changes.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return changes;
    }
}
