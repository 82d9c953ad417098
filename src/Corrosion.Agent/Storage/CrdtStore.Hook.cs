using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Local writes captured by SQLite's pre-update hook instead of per-row triggers. With <see cref="BatchInserts"/> (the
/// default) the writer runs with triggers off (<c>SQLITE_DBCONFIG_ENABLE_TRIGGER</c>: a connection's own setting), so
/// a user statement runs no trigger sub-program per row and needs no statement journal for one; the hook records each
/// row a local write inserts, updates or deletes in a CRR table (its key and column values), and after the statement
/// the store writes the clocks as the triggers would have, in the same order: inserts into tables keyed by their
/// rowid alias join the batched clock INSERT (<see cref="FlushInserts"/>), every other row runs its trigger's body as
/// plain statements (<see cref="CrrTable.HookInsert"/> …) with NEW and OLD bound from the hook's values. The triggers
/// stay in the schema: on any other connection they fire and fail (their functions exist only on the writer), so a
/// write from outside the agent is refused as before. Merges write with <c>_localWrite</c> off: the hook ignores their
/// rows, except that it notes, for compaction, the cells a write to a clock table takes from a version (any write, with
/// the triggers on too: CrdtStore.Compaction.cs).
/// </summary>
public sealed partial class CrdtStore
{
    private const int HookInsert = 18;
    private const int HookDelete = 9;
    private const int HookUpdate = 23;

    // The rows the hook saw in the running user statement, in order: (op, table id, old and new rowid, where their
    // old and new values start in _hookValues — for an insert into a table that batches its inserts, where its value
    // columns start in _insertValues).
    private readonly List<(int Op, int Table, long OldKey, long NewKey, int OldAt, int NewAt)> _hookOps = new();
    private readonly List<SqlValue> _hookValues = new();

    // The running statement inserted or updated a row: its deletes were REPLACE's (no delete trigger fires for those
    // without recursive triggers), which the hook reports too.
    private bool _hookSawWrite;

    // An exception in the hook (it must not leave the callback): the statement fails with it.
    private string? _hookError;

    private bool _hookInstalled;

    /// <summary>
    /// Turns capture by the pre-update hook on (triggers off on the writer) or off (triggers on). The hook stays installed
    /// either way (compaction's notes of lost cells, <see cref="NoteLostCells"/>) until <see cref="UninstallHook"/>.
    /// </summary>
    private unsafe void CaptureByHook(bool on)
    {
        var db = _db.DangerousGetHandle();
        int enabled;
        var rc = SqliteNative.sqlite3_db_config(db, SqliteNative.DbConfigEnableTrigger, on ? 0 : 1, &enabled);
        if (rc != SQLitePCL.raw.SQLITE_OK || enabled != (on ? 0 : 1))
        {
            throw new SqlException($"cannot turn the writer's triggers {(on ? "off" : "on")} (code {rc})");
        }

        if (!_hookInstalled)
        {
            SqliteNative.sqlite3_preupdate_hook(db, &OnPreUpdate, GCHandle.ToIntPtr(_self));
            _hookInstalled = true;
        }
    }

    private unsafe void UninstallHook()
    {
        SqliteNative.sqlite3_preupdate_hook(_db.DangerousGetHandle(), null, IntPtr.Zero);
        _hookInstalled = false;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnPreUpdate(IntPtr context, IntPtr db, int op, byte* database, byte* table, long oldKey, long newKey)
    {
        var store = (CrdtStore)GCHandle.FromIntPtr(context).Target!;
        if (op != HookInsert && store.NoteLostCellsSafely(db, op, database, table))
        {
            return;
        }

        if (!store._localWrite || !store._batchInserts)
        {
            return;
        }

        try
        {
            store.Capture(db, op, database, table, oldKey, newKey);
        }
        catch (Exception e)
        {
            store._hookError ??= e.Message;
        }
    }

    private unsafe void Capture(IntPtr db, int op, byte* database, byte* table, long oldKey, long newKey)
    {
        // "main" only (a temporary table may share a CRR's name).
        if (database[0] != (byte)'m' || database[1] != (byte)'a' || database[2] != (byte)'i' || database[3] != (byte)'n' || database[4] != 0)
        {
            return;
        }

        var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(table);
        CrrTable? crr = null;
        foreach (var candidate in _tablesById)
        {
            if (name.SequenceEqual(candidate.NameUtf8))
            {
                crr = candidate;
                break;
            }
        }

        if (crr is null)
        {
            return;
        }

        if (op == HookInsert && crr.BatchesInserts)
        {
            _hookSawWrite = true;
            var values = _insertValues;
            var at = values.Count;
            foreach (var column in crr.ValueColumnPositions)
            {
                _ = SqliteNative.sqlite3_preupdate_new(db, column, out var value);
                values.Add(SqliteNative.Value(value));
            }

            _hookOps.Add((op, crr.Id, oldKey, newKey, -1, at));
            return;
        }

        var count = crr.HookColumnCount;
        var (oldAt, newAt) = (-1, -1);
        if (op != HookInsert)
        {
            oldAt = _hookValues.Count;
            for (var i = 0; i < count; i++)
            {
                _ = SqliteNative.sqlite3_preupdate_old(db, i, out var value);
                _hookValues.Add(SqliteNative.Value(value));
            }
        }

        if (op != HookDelete)
        {
            _hookSawWrite = true;
            newAt = _hookValues.Count;
            for (var i = 0; i < count; i++)
            {
                _ = SqliteNative.sqlite3_preupdate_new(db, i, out var value);
                _hookValues.Add(SqliteNative.Value(value));
            }
        }

        _hookOps.Add((op, crr.Id, oldKey, newKey, oldAt, newAt));
    }

    /// <summary>
    /// Writes the clocks of the rows the hook saw in the statement that just ran, as its triggers would have (see the
    /// type's remarks); keeps the connection's last insert rowid (the clock writes are the store's, as a trigger's are).
    /// </summary>
    private void FlushHookOps()
    {
        if (_hookError is { } error)
        {
            ClearHookOps();
            throw new SqlException(error);
        }

        if (_hookOps.Count == 0)
        {
            _hookSawWrite = false;
            return;
        }

        var db = _db.DangerousGetHandle();
        // Read before the first clock statement (only those move it): inserts whose clock rows are batched run none here.
        long? lastRowid = null;
        var replaces = _hookSawWrite;
        try
        {
            foreach (var (op, table, oldKey, newKey, oldAt, newAt) in _hookOps)
            {
                var crr = _tablesById[table];
                if (op == HookInsert && crr.BatchesInserts)
                {
                    _pendingInserts.Add((table, newKey, newAt));
                    continue;
                }

                if (op == HookDelete && replaces)
                {
                    continue;
                }

                lastRowid ??= SqliteNative.sqlite3_last_insert_rowid(db);

                // An update or delete sees (and a key change reads) the clock rows of the rows inserted before it.
                if (_pendingInserts.Count > 0)
                {
                    FlushInserts();
                }

                switch (op)
                {
                    case HookInsert:
                        TouchDirect(crr, newKey);
                        crr.HookInsert(_hookValues, newAt);
                        break;
                    case HookUpdate when crr.KeyChanged(_hookValues, oldAt, newAt):
                        TouchDirect(crr, newKey);
                        TouchDirect(crr, oldKey);
                        crr.HookKeyChange(_hookValues, oldAt, newAt);
                        break;
                    case HookUpdate:
                        TouchDirect(crr, newKey);
                        crr.HookUpdate(_hookValues, oldAt, newAt);
                        break;
                    default:
                        TouchDirect(crr, oldKey);
                        crr.HookDelete(_hookValues, oldAt);
                        break;
                }
            }
        }
        finally
        {
            ClearHookOps();
            if (lastRowid is { } rowid)
            {
                SqliteNative.sqlite3_set_last_insert_rowid(db, rowid);
            }
        }
    }

    // The trigger's WHEN of a table keyed by its rowid alias touches the key (the others' bodies call corro_touch).
    private void TouchDirect(CrrTable crr, long key)
    {
        if (crr.DirectKey)
        {
            _touched.Add((crr.Id, key));
            crr.KeyWritten(key);
        }
    }

    private void ClearHookOps()
    {
        _hookOps.Clear();
        _hookValues.Clear();
        _hookSawWrite = false;
        _hookError = null;
    }
}
