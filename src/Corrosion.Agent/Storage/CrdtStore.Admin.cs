namespace Corrosion.Agent.Storage;

/// <summary>Operator commands on the store (the admin socket's <c>reload</c> and <c>sync reconcile-gaps</c>), writer thread only.</summary>
public sealed partial class CrdtStore
{
    /// <summary>
    /// Re-reads the schema files and applies the additive changes in one transaction: new tables, new
    /// columns, index changes. Clock tables and triggers of every table are rebuilt in the same
    /// transaction, so a table changes together with its replication.
    /// </summary>
    /// <returns>The statements applied (none when nothing changed) and the tables after.</returns>
    /// <exception cref="SchemaException">
    /// no schema files are configured, a file is missing or invalid, or a change is destructive (the
    /// message names the table and column); nothing is applied.
    /// </exception>
    public (IReadOnlyList<string> Steps, IReadOnlyList<string> Tables) ReloadSchema()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_options.SchemaPaths.Count == 0)
        {
            throw new SchemaException("db.schema_paths is empty: there are no schema files to reload");
        }

        var desired = SchemaLoader.Parse(SchemaLoader.ReadFiles(_options.SchemaPaths));
        var steps = SchemaLoader.Plan(SchemaLoader.Inspect(_db), desired);
        if (steps.Count == 0)
        {
            return ([], Tables);
        }

        var rebuilt = new Dictionary<string, CrrTable>(StringComparer.OrdinalIgnoreCase);
        Begin();
        try
        {
            foreach (var step in steps)
            {
                StoreLog.MigrationStep(_logger, step);
                NativeStatement.Exec(_db, step);
            }

            foreach (var table in SchemaLoader.Inspect(_db))
            {
                var crr = new CrrTable(_db, table, SchemaLoader.IsRowidAlias(_db, table), rebuilt.Count);
                rebuilt[table.Name] = crr;
                NativeStatement.Exec(_db, crr.TablesDdl());
                NativeStatement.Exec(_db, crr.TriggersDdl(BatchInserts));
            }

            Commit();
        }
        catch (SqlException e)
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(_db) == 0)
            {
                NativeStatement.Exec(_db, "ROLLBACK");
            }

            foreach (var crr in rebuilt.Values)
            {
                crr.Dispose();
            }

            throw new SchemaException($"schema reload failed, nothing applied: {e.Message}", e);
        }

        var old = _tables;
        _tables = rebuilt;
        _tablesById = rebuilt.Values.OrderBy(t => t.Id).ToArray();
        foreach (var crr in old.Values)
        {
            crr.Dispose();
        }

        return (steps, Tables);
    }

    /// <summary>
    /// Re-reads the applied-version bookkeeping from the database and recounts the gaps, so the
    /// in-memory view (sync states, <c>/v1/health</c>) is what is stored.
    /// </summary>
    /// <returns>The gaps counted before and after, and the needs after.</returns>
    public (long Before, long After, IReadOnlyDictionary<ActorId, IReadOnlyList<VersionRange>> Needs) ReconcileGaps()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var before = GapCount();
        LoadState();
        return (before, GapCount(), GetSyncState().Needs);
    }
}
