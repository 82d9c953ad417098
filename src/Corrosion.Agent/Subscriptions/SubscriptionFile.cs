using System.Globalization;
using Corrosion.Agent.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The SQLite file beside the database that keeps every subscription across restarts: its
/// statement and counters, its materialised rows, and its change log (for listeners resuming with
/// <c>from=</c>). The re-evaluations of a batch are recorded in one transaction, before their changes are sent, so
/// a change id a listener has seen always survives a crash. Used by one actor at a time.
/// </summary>
/// <remarks>
/// <para>
/// A row updated under its row id (the common case: one write, one event) is written to the change
/// log alone, marked <see cref="RowInLog"/>, not to <c>subscription_rows</c> as well: one page per
/// commit instead of two. The rows table is brought up to date from the log (folded) every
/// <see cref="FoldEvery"/> such changes of a subscription and before its log is pruned past them,
/// and <c>subscriptions.folded_through</c> says how far; loading applies the log after it. A file
/// written before this layout gets the column, set to its newest change (its rows are current).
/// </para>
/// <para>
/// Changes are recorded into <c>recent_changes</c>, in recording order, not into
/// <c>subscription_changes</c>: that table is ordered by subscription, so a commit of changes of N
/// subscriptions wrote N pages there (a page of WAL and of checkpoint per event of a burst), where
/// appending in order fills one page with the changes of many. They are moved over in bulk, in key
/// order, once <see cref="MoveEvery"/> changes collect (by <see cref="Upkeep"/>, which the owner runs
/// after sending the changes just recorded), before the log is read (a resume, the maintenance's age
/// check, loading) or pruned past them, and when the file is closed; a fold reads both tables.
/// What a crash leaves there is moved when the file is opened. Folds that are merely due wait for
/// <see cref="Upkeep"/> too: neither is on the way of the changes being recorded.
/// </para>
/// In WAL mode with <c>synchronous = NORMAL</c> a commit writes the log and does not fsync; the
/// fsyncs come when the log is copied into the file (a checkpoint), which SQLite would run inside
/// the commit that takes the log past 1,000 pages: on the subscription actor, between an evaluation
/// and its events, two fsyncs long (~7 ms each on a slow disk: the events' p99). So, as for the
/// database, <see cref="WalCheckpointer"/> runs it on a connection of its own beside the writer.
/// </remarks>
internal sealed class SubscriptionFile : IDisposable
{
    private const string Ddl = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA busy_timeout = 5000;
        CREATE TABLE IF NOT EXISTS subscriptions (
            id TEXT PRIMARY KEY,
            sql TEXT NOT NULL,
            params BLOB,
            named_params BLOB,
            hash TEXT NOT NULL,
            columns BLOB NOT NULL,
            last_row_id INTEGER NOT NULL,
            last_change_id INTEGER NOT NULL,
            pruned_through INTEGER NOT NULL,
            last_listener_ms INTEGER NOT NULL,
            folded_through INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS subscription_rows (
            sub_id TEXT NOT NULL,
            row_id INTEGER NOT NULL,
            key BLOB NOT NULL,
            cells BLOB NOT NULL,
            PRIMARY KEY (sub_id, row_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS subscription_changes (
            sub_id TEXT NOT NULL,
            change_id INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            row_id INTEGER NOT NULL,
            cells BLOB NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (sub_id, change_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS recent_changes (
            seq INTEGER PRIMARY KEY,
            sub_id TEXT NOT NULL,
            change_id INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            row_id INTEGER NOT NULL,
            cells BLOB NOT NULL,
            at_ms INTEGER NOT NULL
        );
        """;

    /// <summary>Added to a change's kind in the log: its row's new cells were written to the log alone.</summary>
    internal const int RowInLog = 8;

    /// <summary>A subscription's rows are due to be folded from its log after this many changes written to the log alone.</summary>
    internal const int FoldEvery = 256;

    /// <summary>The recent changes are due to be moved into <c>subscription_changes</c> once this many collect.</summary>
    internal const int MoveEvery = 1024;

    /// <summary>
    /// Past this many times the due point, <see cref="RecordAll"/> moves or folds itself (an owner
    /// that never runs <see cref="Upkeep"/> still keeps the file bounded).
    /// </summary>
    internal const int OverdueFactor = 4;

    private const int KindMask = 7;

    // In key order (each subscription's pages visited once); a change id recorded twice keeps its last recording, as before.
    private const string MoveRecentSql = """
        INSERT OR REPLACE INTO subscription_changes (sub_id, change_id, kind, row_id, cells, at_ms)
            SELECT sub_id, change_id, kind, row_id, cells, at_ms FROM recent_changes ORDER BY sub_id, change_id, seq
        """;

    private readonly SqliteConnection _connection;
    private readonly WalCheckpointer? _checkpointer;

    // Per subscription: the change id its rows table is current through, and the changes written to
    // the log alone since (what the next fold applies).
    private readonly Dictionary<string, Folding> _folding = new(StringComparer.Ordinal);
    // Subscriptions with FoldEvery or more changes in the log alone, for Upkeep.
    private readonly HashSet<string> _foldDue = new(StringComparer.Ordinal);
    private SqliteCommand? _upsertRow;

    // Rows in recent_changes, and per subscription the smallest change id it has there (a prune
    // reaching it moves them first).
    private int _recent;
    private readonly Dictionary<string, long> _recentFrom = new(StringComparer.Ordinal);

    // RecordAll's statements (prepared on first use, finalized before the connection closes).
    private NativeStatement? _begin;
    private NativeStatement? _commit;
    private NativeStatement? _rollback;
    private NativeStatement? _insertChangeNative;
    private NativeStatement? _upsertRowNative;
    private NativeStatement? _deleteRowNative;
    private NativeStatement? _updateCountersNative;
    private NativeStatement? _pruneChangesNative;
    private NativeStatement? _pruneCountersNative;
    private NativeStatement? _foldRead;
    private NativeStatement? _foldRow;
    private NativeStatement? _foldCounter;
    private NativeStatement? _moveRecent;
    private NativeStatement? _clearRecent;

    /// <summary>Opens (or creates) the file.</summary>
    /// <param name="path">Its path.</param>
    /// <param name="logger">Where a failed background checkpoint is reported; none when null.</param>
    public SubscriptionFile(string path, ILogger? logger = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        Path = full;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        _connection.Open();
        Run(Ddl);
        AddFoldedThrough();
        using (var count = Command("SELECT count(*) FROM recent_changes"))
        {
            _recent = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        // What an earlier process left there (it crashed): every other read sees subscription_changes alone.
        MoveRecentNow();
        _checkpointer = WalCheckpointer.Install(_connection.Handle!, full, StoreOptions.DefaultCheckpointPages, logger ?? NullLogger.Instance);
    }

    public string Path { get; }

    /// <summary>Checkpoints run beside the writer so far (tests).</summary>
    public long Checkpoints => _checkpointer?.Checkpoints ?? 0;

    /// <summary>Every persisted subscription with its rows.</summary>
    public List<StoredSubscription> LoadAll()
    {
        MoveRecentNow();
        var subscriptions = new List<StoredSubscription>();
        var foldedThrough = new List<long>();
        _folding.Clear();
        _foldDue.Clear();
        using (var command = Command("SELECT id, sql, params, named_params, hash, columns, last_row_id, last_change_id, pruned_through, last_listener_ms, (SELECT coalesce(max(change_id), 0) FROM subscription_changes c WHERE c.sub_id = s.id), folded_through FROM subscriptions s ORDER BY id"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var positional = reader.IsDBNull(2) ? null : RowCodec.Decode((byte[])reader[2]);
                IReadOnlyDictionary<string, SqlValue>? named = null;
                if (!reader.IsDBNull(3))
                {
                    var pairs = RowCodec.Decode((byte[])reader[3]);
                    var map = new Dictionary<string, SqlValue>(StringComparer.Ordinal);
                    for (var i = 0; i + 1 < pairs.Length; i += 2)
                    {
                        map[pairs[i].AsText] = pairs[i + 1];
                    }

                    named = map;
                }

                subscriptions.Add(new StoredSubscription(
                    reader.GetString(0),
                    new Statement(reader.GetString(1), positional, named),
                    reader.GetString(4),
                    RowCodec.Decode((byte[])reader[5]).Select(v => v.AsText).ToArray(),
                    reader.GetInt64(6),
                    Math.Max(reader.GetInt64(7), reader.GetInt64(10)),
                    reader.GetInt64(8),
                    reader.GetInt64(9),
                    []));
                foldedThrough.Add(reader.GetInt64(11));
            }
        }

        for (var s = 0; s < subscriptions.Count; s++)
        {
            var subscription = subscriptions[s];
            using (var command = Command("SELECT row_id, key, cells FROM subscription_rows WHERE sub_id = $id ORDER BY row_id", ("$id", subscription.Id)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    subscription.Rows.Add(new MaterializedRow(reader.GetInt64(0), (byte[])reader[1], RowCodec.Decode((byte[])reader[2])));
                }
            }

            // The rows updated since the last fold have their cells in the log.
            var (latest, through, inLog) = Unfolded(subscription.Id, foldedThrough[s]);
            if (latest.Count > 0)
            {
                for (var r = 0; r < subscription.Rows.Count; r++)
                {
                    var row = subscription.Rows[r];
                    if (latest.TryGetValue(row.RowId, out var cells))
                    {
                        subscription.Rows[r] = row with { Cells = RowCodec.Decode(cells) };
                    }
                }
            }

            SetFolding(subscription.Id, new Folding(Math.Max(foldedThrough[s], through), inLog));
        }

        return subscriptions;
    }

    /// <summary>Adds a new subscription with its first rows.</summary>
    public void Create(StoredSubscription subscription, long nowMs)
    {
        using var tx = _connection.BeginTransaction();
        object? named = null;
        if (subscription.Statement.NamedParams is { } map)
        {
            named = RowCodec.Encode(map.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => new[] { SqlValue.FromText(p.Key), p.Value }).ToArray());
        }

        Execute(
            tx,
            "INSERT INTO subscriptions (id, sql, params, named_params, hash, columns, last_row_id, last_change_id, pruned_through, last_listener_ms, folded_through) VALUES ($id, $sql, $params, $named, $hash, $columns, $row, $change, $pruned, $now, $change)",
            ("$id", subscription.Id),
            ("$sql", subscription.Statement.Sql),
            ("$params", subscription.Statement.Params is { } p ? RowCodec.Encode(p) : null),
            ("$named", named),
            ("$hash", subscription.Hash),
            ("$columns", EncodeColumns(subscription.Columns)),
            ("$row", subscription.LastRowId),
            ("$change", subscription.LastChangeId),
            ("$pruned", subscription.PrunedThrough),
            ("$now", nowMs));
        WriteRows(tx, subscription.Id, subscription.Rows);
        tx.Commit();
        SetFolding(subscription.Id, new Folding(subscription.LastChangeId, 0));
    }

    /// <summary>
    /// Records the re-evaluations of one batch in one transaction (one commit for all of them, not
    /// one per subscription): for each, the rows it changed, its change events, the counters, and the
    /// change log pruned through <see cref="Recording.PruneThrough"/> when that is positive. The
    /// last change id is the newest change logged (the counters row is written only when the columns
    /// or the last row id moved, or the log is pruned), so a change costs two statements, not three;
    /// an update (its row keeps its row id and key) only one: its row's new cells are the change's,
    /// written to the log alone (<see cref="RowInLog"/>) and folded into the rows table later.
    /// </summary>
    public void RecordAll(IReadOnlyList<Recording> recordings, long nowMs)
    {
        if (recordings.Count == 0)
        {
            return;
        }

        // On statements prepared once and bound by position (one event per write is the common case:
        // ADO.NET's per-call binding by name, boxing and reader objects cost as much as SQLite's work).
        // IMMEDIATE: the write lock is taken (waiting out a restarting checkpoint, busy_timeout) before anything is read.
        var db = _connection.Handle!;
        // Applied to _folding once committed (a rolled-back transaction leaves it as on disk).
        List<(string Id, Folding Folding)>? folded = null;
        // Likewise the recent changes' count and first change ids.
        var recent = _recent;
        Dictionary<string, long>? recentFrom = null;
        var moved = false;
        Native(ref _begin, "BEGIN IMMEDIATE").Run();
        try
        {
            foreach (var recording in recordings)
            {
                var id = recording.Id;
                var delta = recording.Delta;
                var folding = _folding.GetValueOrDefault(id);
                var earlier = folded?.FindLastIndex(f => f.Id == id) ?? -1;
                if (earlier >= 0)
                {
                    folding = folded![earlier].Folding;
                }
                if (delta.Deleted.Count > 0)
                {
                    var delete = Native(ref _deleteRowNative, "DELETE FROM subscription_rows WHERE sub_id = ?1 AND row_id = ?2");
                    foreach (var rowId in delta.Deleted)
                    {
                        delete.Bind(1, id).Bind(2, rowId).Run();
                    }
                }

                // A change's cells are its row's (the same array): encoded once for both.
                Dictionary<object, byte[]>? encoded = null;
                // Rows updated under their row id: their cells go to the log alone.
                var inLog = RowsUpdated(delta);
                if (delta.Upserted.Count > (inLog?.Count ?? 0))
                {
                    var upsert = Native(ref _upsertRowNative, "INSERT OR REPLACE INTO subscription_rows (sub_id, row_id, key, cells) VALUES (?1, ?2, ?3, ?4)");
                    encoded = delta.Upserted.Count == 1 ? null : new Dictionary<object, byte[]>(ReferenceEqualityComparer.Instance);
                    foreach (var r in delta.Upserted)
                    {
                        if (inLog is not null && inLog.Contains(r.RowId))
                        {
                            continue;
                        }

                        var cells = RowCodec.Encode(r.Cells);
                        encoded?.TryAdd(r.Cells, cells);
                        upsert.Bind(1, id).Bind(2, r.RowId).BindBlob(3, r.Key).BindBlob(4, cells).Run();
                    }
                }

                // Appended in recording order (one page takes the changes of many subscriptions), not
                // into subscription_changes, whose pages are per subscription: moved there in bulk.
                var insert = Native(ref _insertChangeNative, "INSERT INTO recent_changes (sub_id, change_id, kind, row_id, cells, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
                foreach (var c in delta.Changes)
                {
                    var cells = encoded is not null && encoded.TryGetValue(c.Cells, out var known) ? known : RowCodec.Encode(c.Cells);
                    var kind = (int)c.Kind | (inLog is not null && c.Kind == ChangeKind.Update && inLog.Contains(c.RowId) ? RowInLog : 0);
                    insert.Bind(1, id).Bind(2, c.ChangeId).Bind(3, kind).Bind(4, c.RowId).BindBlob(5, cells).Bind(6, nowMs).Run();
                    recent++;
                    if ((moved || !_recentFrom.ContainsKey(id)) && (recentFrom is null || !recentFrom.ContainsKey(id)))
                    {
                        (recentFrom ??= [])[id] = c.ChangeId;
                    }
                }

                folding = folding with { InLog = folding.InLog + (inLog?.Count ?? 0) };
                if (folding.InLog >= FoldEvery * OverdueFactor || (folding.InLog > 0 && recording.PruneThrough > folding.Through))
                {
                    // Before the prune below can take the only copy of a row's cells.
                    folding = new Folding(Fold(id, folding.Through), 0);
                }

                if (folding != _folding.GetValueOrDefault(id))
                {
                    (folded ??= []).Add((id, folding));
                }

                if (recording.Counters || recording.PruneThrough > 0)
                {
                    Native(ref _updateCountersNative, "UPDATE subscriptions SET columns = ?2, last_row_id = ?3, last_change_id = ?4 WHERE id = ?1")
                        .Bind(1, id).BindBlob(2, EncodeColumns(recording.Columns)).Bind(3, recording.LastRowId).Bind(4, recording.LastChangeId).Run();
                }

                if (recording.PruneThrough > 0)
                {
                    long from = 0;
                    var inRecent = (!moved && _recentFrom.TryGetValue(id, out from)) || (recentFrom is not null && recentFrom.TryGetValue(id, out from));
                    if (inRecent && recording.PruneThrough >= from)
                    {
                        // The prune reaches changes still in recent_changes: they join the others first.
                        MoveRecent();
                        (recent, moved, recentFrom) = (0, true, null);
                    }

                    Native(ref _pruneChangesNative, "DELETE FROM subscription_changes WHERE sub_id = ?1 AND change_id <= ?2").Bind(1, id).Bind(2, recording.PruneThrough).Run();
                    // The log may have held the last change: its id stays in the counters.
                    Native(ref _pruneCountersNative, "UPDATE subscriptions SET pruned_through = max(pruned_through, ?2), last_change_id = max(last_change_id, ?2) WHERE id = ?1").Bind(1, id).Bind(2, recording.PruneThrough).Run();
                }
            }

            if (recent >= MoveEvery * OverdueFactor)
            {
                MoveRecent();
                (recent, moved, recentFrom) = (0, true, null);
            }

            Native(ref _commit, "COMMIT").Run();
        }
        catch
        {
            folded = null;
            if (raw.sqlite3_get_autocommit(db) == 0)
            {
                Native(ref _rollback, "ROLLBACK").Run();
            }

            throw;
        }

        foreach (var (id, folding) in folded ?? [])
        {
            SetFolding(id, folding);
        }

        _recent = recent;
        if (moved)
        {
            _recentFrom.Clear();
        }

        foreach (var (id, from) in recentFrom ?? [])
        {
            _recentFrom.TryAdd(id, from);
        }
    }

    /// <summary>The kept changes after <paramref name="from"/>, in order.</summary>
    public List<SubscriptionChange> ChangesAfter(string id, long from)
    {
        MoveRecentNow();
        var changes = new List<SubscriptionChange>();
        using var command = Command("SELECT change_id, kind, row_id, cells FROM subscription_changes WHERE sub_id = $id AND change_id > $from ORDER BY change_id", ("$id", id), ("$from", from));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            changes.Add(new SubscriptionChange((ChangeKind)(reader.GetInt32(1) & KindMask), reader.GetInt64(2), RowCodec.Decode((byte[])reader[3]), reader.GetInt64(0)));
        }

        return changes;
    }

    /// <summary>Drops the changes up to and including <paramref name="through"/>.</summary>
    public void PruneThrough(string id, long through)
    {
        MoveRecentNow();
        using var tx = _connection.BeginTransaction();
        var folding = _folding.GetValueOrDefault(id);
        if (folding.InLog > 0 && through > folding.Through)
        {
            // The rows updated in the log alone get their cells before the log goes.
            folding = new Folding(Fold(id, folding.Through), 0);
        }

        Prune(tx, id, through);
        tx.Commit();
        SetFolding(id, folding);
    }

    /// <summary>The last change id recorded before <paramref name="cutoffMs"/>, or null when none is kept.</summary>
    public long? LastChangeBefore(string id, long cutoffMs)
    {
        MoveRecentNow();
        using var command = Command("SELECT max(change_id) FROM subscription_changes WHERE sub_id = $id AND at_ms < $cutoff", ("$id", id), ("$cutoff", cutoffMs));
        var result = command.ExecuteScalar();
        return result is null or DBNull ? null : Convert.ToInt64(result, CultureInfo.InvariantCulture);
    }

    /// <summary>Remembers when the subscription last had a listener.</summary>
    public void TouchListener(string id, long nowMs)
    {
        using var tx = _connection.BeginTransaction();
        Execute(tx, "UPDATE subscriptions SET last_listener_ms = $now WHERE id = $id", ("$id", id), ("$now", nowMs));
        tx.Commit();
    }

    /// <summary>Removes a subscription with its rows and changes.</summary>
    public void Delete(string id)
    {
        MoveRecentNow();
        using var tx = _connection.BeginTransaction();
        Execute(tx, "DELETE FROM subscription_changes WHERE sub_id = $id", ("$id", id));
        Execute(tx, "DELETE FROM subscription_rows WHERE sub_id = $id", ("$id", id));
        Execute(tx, "DELETE FROM subscriptions WHERE id = $id", ("$id", id));
        tx.Commit();
        _folding.Remove(id);
        _foldDue.Remove(id);
    }

    public void Dispose()
    {
        try
        {
            // A file closed cleanly keeps its whole log in subscription_changes.
            MoveRecentNow();
        }
        catch (SqlException)
        {
            // Left in recent_changes: moved when the file is opened again.
        }

        if (_checkpointer is not null)
        {
            // Before the writer closes: closing the last connection checkpoints and removes the log.
            _checkpointer.Uninstall(_connection.Handle!);
            _checkpointer.Dispose();
        }

        foreach (var statement in new[] { _begin, _commit, _rollback, _insertChangeNative, _upsertRowNative, _deleteRowNative, _updateCountersNative, _pruneChangesNative, _pruneCountersNative, _foldRead, _foldRow, _foldCounter, _moveRecent, _clearRecent })
        {
            statement?.Dispose();
        }

        _upsertRow?.Dispose();
        _connection.Dispose();
    }

    /// <summary>
    /// The row ids of <paramref name="delta"/>'s updates (rows keeping their row id and key, whose
    /// new cells are their change's), or null when it has none.
    /// </summary>
    private static HashSet<long>? RowsUpdated(ResultDelta delta)
    {
        HashSet<long>? updated = null;
        foreach (var change in delta.Changes)
        {
            if (change.Kind == ChangeKind.Update)
            {
                (updated ??= []).Add(change.RowId);
            }
        }

        return updated;
    }

    /// <summary>
    /// The newest cells the log holds for each row changed after <paramref name="through"/> (none for
    /// a row whose newest change deletes it), the newest change id read, and how many changes wrote
    /// their row to the log alone.
    /// </summary>
    private (Dictionary<long, byte[]> Latest, long Through, int InLog) Unfolded(string id, long through)
    {
        var latest = new Dictionary<long, byte[]>();
        var newest = through;
        var inLog = 0;
        var read = Native(ref _foldRead, """
            SELECT change_id, kind, row_id, cells, 0 AS recent, 0 AS seq FROM subscription_changes WHERE sub_id = ?1 AND change_id > ?2
            UNION ALL
            SELECT change_id, kind, row_id, cells, 1, seq FROM recent_changes WHERE sub_id = ?1 AND change_id > ?2
            ORDER BY 1, 5, 6
            """);
        read.Bind(1, id).Bind(2, through);
        try
        {
            while (read.Step())
            {
                newest = read.GetInt64(0);
                var kind = (int)read.GetInt64(1);
                var rowId = read.GetInt64(2);
                if ((kind & RowInLog) != 0)
                {
                    inLog++;
                }

                if ((ChangeKind)(kind & KindMask) == ChangeKind.Delete)
                {
                    latest.Remove(rowId);
                }
                else
                {
                    latest[rowId] = read.GetBlob(3);
                }
            }
        }
        finally
        {
            read.Reset();
        }

        return (latest, newest, inLog);
    }

    /// <summary>
    /// Brings the subscription's rows table up to date from the log after <paramref name="through"/>
    /// (inside the caller's transaction) and records how far; returns that change id. Rows no longer
    /// in the table (deleted since) stay out: the log never adds a row.
    /// </summary>
    private long Fold(string id, long through)
    {
        var (latest, newest, _) = Unfolded(id, through);
        var update = Native(ref _foldRow, "UPDATE subscription_rows SET cells = ?3 WHERE sub_id = ?1 AND row_id = ?2");
        foreach (var (rowId, cells) in latest)
        {
            update.Bind(1, id).Bind(2, rowId).BindBlob(3, cells).Run();
        }

        Native(ref _foldCounter, "UPDATE subscriptions SET folded_through = ?2 WHERE id = ?1").Bind(1, id).Bind(2, newest).Run();
        return newest;
    }

    /// <summary>
    /// Bookkeeping is due that <see cref="RecordAll"/> leaves for after the changes are sent: the
    /// recent changes to move (<see cref="MoveEvery"/>), a subscription's rows to fold (<see cref="FoldEvery"/>).
    /// </summary>
    public bool UpkeepDue => _recent >= MoveEvery || _foldDue.Count > 0;

    /// <summary>
    /// Does one piece of the due bookkeeping (the move, or one subscription's fold) in a transaction
    /// of its own, so its owner can send what it has first and interleave other work between pieces.
    /// </summary>
    /// <returns>Whether more is due.</returns>
    public bool Upkeep()
    {
        if (_recent >= MoveEvery)
        {
            MoveRecentNow();
        }
        else if (_foldDue.Count > 0)
        {
            FoldNow(_foldDue.First());
        }

        return UpkeepDue;
    }

    private void FoldNow(string id)
    {
        var folding = _folding.GetValueOrDefault(id);
        Native(ref _begin, "BEGIN IMMEDIATE").Run();
        try
        {
            folding = new Folding(Fold(id, folding.Through), 0);
            Native(ref _commit, "COMMIT").Run();
        }
        catch
        {
            if (raw.sqlite3_get_autocommit(_connection.Handle!) == 0)
            {
                Native(ref _rollback, "ROLLBACK").Run();
            }

            throw;
        }

        SetFolding(id, folding);
    }

    private void SetFolding(string id, Folding folding)
    {
        _folding[id] = folding;
        if (folding.InLog >= FoldEvery)
        {
            _foldDue.Add(id);
        }
        else
        {
            _foldDue.Remove(id);
        }
    }

    /// <summary>Moves the recent changes into <c>subscription_changes</c> inside the caller's transaction.</summary>
    private void MoveRecent()
    {
        Native(ref _moveRecent, MoveRecentSql).Run();
        Native(ref _clearRecent, "DELETE FROM recent_changes").Run();
    }

    /// <summary>Moves the recent changes, if any, in a transaction of their own (before reading or pruning the log).</summary>
    private void MoveRecentNow()
    {
        if (_recent == 0)
        {
            return;
        }

        Native(ref _begin, "BEGIN IMMEDIATE").Run();
        try
        {
            MoveRecent();
            Native(ref _commit, "COMMIT").Run();
        }
        catch
        {
            if (raw.sqlite3_get_autocommit(_connection.Handle!) == 0)
            {
                Native(ref _rollback, "ROLLBACK").Run();
            }

            throw;
        }

        _recent = 0;
        _recentFrom.Clear();
    }

    /// <summary>
    /// A file written before rows could live in the log gets <c>folded_through</c>, set to each
    /// subscription's newest change: its rows table is current through it.
    /// </summary>
    private void AddFoldedThrough()
    {
        using (var command = Command("SELECT count(*) FROM pragma_table_info('subscriptions') WHERE name = 'folded_through'"))
        {
            if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        using var tx = _connection.BeginTransaction();
        Execute(tx, "ALTER TABLE subscriptions ADD COLUMN folded_through INTEGER NOT NULL DEFAULT 0");
        Execute(tx, "UPDATE subscriptions SET folded_through = max(last_change_id, (SELECT coalesce(max(change_id), 0) FROM subscription_changes c WHERE c.sub_id = subscriptions.id))");
        tx.Commit();
    }

    /// <summary>How far a subscription's rows table is current (<see cref="Through"/>), and how many changes since wrote their row to the log alone.</summary>
    private readonly record struct Folding(long Through, int InLog);

    private void Prune(SqliteTransaction tx, string id, long through)
    {
        Execute(tx, "DELETE FROM subscription_changes WHERE sub_id = $id AND change_id <= $through", ("$id", id), ("$through", through));
        // The log may have held the last change: its id stays in the counters.
        Execute(tx, "UPDATE subscriptions SET pruned_through = max(pruned_through, $through), last_change_id = max(last_change_id, $through) WHERE id = $id", ("$id", id), ("$through", through));
    }

    /// <summary>
    /// A command kept for the life of the file, so its statement is prepared once (Microsoft.Data.Sqlite
    /// keeps a command's prepared statements while its text stays the same), enlisted in <paramref name="tx"/>.
    /// </summary>
    private SqliteCommand Cached(ref SqliteCommand? command, SqliteTransaction tx, string sql, params string[] parameters)
    {
        if (command is null)
        {
            command = Command(sql);
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }

        command.Transaction = tx;
        return command;
    }

    private NativeStatement Native(ref NativeStatement? statement, string sql) => statement ??= NativeStatement.Prepare(_connection.Handle!, sql);

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    private static byte[] EncodeColumns(IReadOnlyList<string> columns) => RowCodec.Encode(columns.Select(SqlValue.FromText).ToArray());

    private void WriteRows(SqliteTransaction tx, string id, List<MaterializedRow> rows)
    {
        if (rows.Count > 0)
        {
            var upsert = Cached(ref _upsertRow, tx, "INSERT OR REPLACE INTO subscription_rows (sub_id, row_id, key, cells) VALUES ($id, $row, $key, $cells)", "$id", "$row", "$key", "$cells");
            foreach (var r in rows)
            {
                Run(upsert, id, r.RowId, r.Key, RowCodec.Encode(r.Cells));
            }
        }
    }

    private void Run(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private void Execute(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}

/// <summary>One re-evaluation to record (<see cref="SubscriptionFile.RecordAll"/>).</summary>
/// <param name="Id">The subscription.</param>
/// <param name="Delta">What the evaluation changed.</param>
/// <param name="Columns">The result's columns now.</param>
/// <param name="LastRowId">The subscription's last row id.</param>
/// <param name="LastChangeId">The subscription's last change id.</param>
/// <param name="PruneThrough">Changes up to this id are dropped in the same transaction; 0 for none.</param>
/// <param name="Counters">The columns or the last row id moved since last recorded: the counters row is written (else the log's newest change id stands for the last change id).</param>
internal sealed record Recording(string Id, ResultDelta Delta, IReadOnlyList<string> Columns, long LastRowId, long LastChangeId, long PruneThrough, bool Counters = true);
