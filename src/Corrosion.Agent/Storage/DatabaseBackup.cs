using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Backup and restore of a node's database (<c>corrosion backup</c> / <c>corrosion restore</c>).
/// A backup is a consistent copy (SQLite's online backup API over one read snapshot, so writes go on
/// meanwhile) made generic as Corrosion makes its backups: the node's own site id is removed, its
/// clock entries and versions become those of an ordinary other actor. A node restored from it
/// therefore starts with a new site id of its own (see the README for why).
/// </summary>
public static class DatabaseBackup
{
    /// <summary>What a backup wrote.</summary>
    /// <param name="Path">The backup file.</param>
    /// <param name="Pages">Database pages copied.</param>
    /// <param name="Bytes">The backup file's size.</param>
    /// <param name="SourceActor">The site id of the node backed up (an ordinary actor inside the backup).</param>
    /// <param name="SourceVersion">That node's last version in the backup.</param>
    public sealed record BackupResult(string Path, long Pages, long Bytes, ActorId SourceActor, long SourceVersion);

    /// <summary>
    /// Copies <paramref name="dbPath"/> to <paramref name="destination"/> while the node runs, then
    /// makes the copy generic. The copy is written beside the destination and renamed into place, so a
    /// failure leaves no partial file under that name.
    /// </summary>
    /// <param name="dbPath">The live database.</param>
    /// <param name="destination">The backup file; must not exist.</param>
    /// <param name="progress">Called with (pages copied, pages in all) after each step.</param>
    /// <param name="cancellationToken">Stops the copy (nothing is left behind).</param>
    /// <exception cref="IOException">the destination exists or its directory does not.</exception>
    /// <exception cref="SqlException">SQLite failed.</exception>
    public static async Task<BackupResult> BackupAsync(string dbPath, string destination, Func<long, long, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dbPath);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(progress);
        destination = System.IO.Path.GetFullPath(destination);
        if (File.Exists(destination) || Directory.Exists(destination))
        {
            throw new IOException($"{destination} exists: a backup never overwrites a file; remove it or choose another path");
        }

        var directory = System.IO.Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(directory))
        {
            throw new IOException($"the directory {directory} of the backup does not exist");
        }

        var temporary = destination + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            long pages;
            using (var source = Open(dbPath, SqliteOpenMode.ReadOnly))
            using (var snapshot = source.BeginTransaction(deferred: true))
            {
                // One read snapshot for the whole copy: writes committed meanwhile are not in it, and do not restart it.
                using (var read = source.CreateCommand())
                {
                    read.CommandText = "SELECT count(*) FROM sqlite_master";
                    read.ExecuteScalar();
                }

                using var target = Open(temporary, SqliteOpenMode.ReadWriteCreate);
                pages = await CopyAsync(source, target, progress, cancellationToken).ConfigureAwait(false);
            }

            BackupResult result;
            using (var target = Open(temporary, SqliteOpenMode.ReadWrite))
            {
                Exec(target, "PRAGMA journal_mode = DELETE");
                var (actor, version) = MakeGeneric(target);
                result = new BackupResult(destination, pages, 0, actor, version);
            }

            File.Move(temporary, destination);
            return result with { Bytes = new FileInfo(destination).Length };
        }
        finally
        {
            DeleteQuietly(temporary);
            DeleteQuietly(temporary + "-journal");
        }
    }

    /// <summary>
    /// Replaces the (stopped) node's database at <paramref name="dbPath"/> with the backup. The backup
    /// is copied beside the database and renamed over it; the old write-ahead log goes. The node makes
    /// itself a new site id when it next starts.
    /// </summary>
    /// <param name="backupPath">A file written by <see cref="BackupAsync"/> (a plain copy of a node's database is made generic too).</param>
    /// <param name="dbPath">The node's database.</param>
    /// <param name="cancellationToken">Stops the copy before the database is replaced.</param>
    /// <returns>The actor whose versions the backup held as its own, and its last version.</returns>
    /// <exception cref="IOException">the backup is missing or not a node's database.</exception>
    public static async Task<(ActorId SourceActor, long SourceVersion)> RestoreAsync(string backupPath, string dbPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backupPath);
        ArgumentNullException.ThrowIfNull(dbPath);
        backupPath = System.IO.Path.GetFullPath(backupPath);
        dbPath = System.IO.Path.GetFullPath(dbPath);
        if (!File.Exists(backupPath))
        {
            throw new IOException($"backup {backupPath} does not exist");
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(dbPath)!);
        var temporary = dbPath + ".restoring-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var source = Open(backupPath, SqliteOpenMode.ReadOnly))
            {
                Check(source, backupPath);
                using var target = Open(temporary, SqliteOpenMode.ReadWriteCreate);
                await CopyAsync(source, target, (_, _) => Task.CompletedTask, cancellationToken).ConfigureAwait(false);
            }

            (ActorId, long) found;
            using (var target = Open(temporary, SqliteOpenMode.ReadWrite))
            {
                Exec(target, "PRAGMA journal_mode = DELETE");
                found = MakeGeneric(target);
                found = found.Item1 == ActorId.Empty ? FormerActor(target) : found;
            }

            // The old log belongs to the old database: applied to the new one it would corrupt it.
            DeleteQuietly(dbPath + "-wal");
            DeleteQuietly(dbPath + "-shm");
            File.Move(temporary, dbPath, overwrite: true);
            return found;
        }
        finally
        {
            DeleteQuietly(temporary);
            DeleteQuietly(temporary + "-journal");
        }
    }

    private static void Check(SqliteConnection source, string path)
    {
        try
        {
            using var command = source.CreateCommand();
            command.CommandText = "PRAGMA quick_check";
            var check = command.ExecuteScalar() as string;
            if (check != "ok")
            {
                throw new IOException($"{path} is damaged (quick_check: {check})");
            }

            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('__corro_meta', '__corro_sites', '__corro_versions')";
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 3)
            {
                throw new IOException($"{path} is not a Corrosion node's database or backup (no __corro_ tables)");
            }
        }
        catch (SqliteException e)
        {
            throw new IOException($"{path} is not a readable SQLite database: {e.Message}", e);
        }
    }

    private static async Task<long> CopyAsync(SqliteConnection source, SqliteConnection target, Func<long, long, Task> progress, CancellationToken cancellationToken)
    {
        var backup = raw.sqlite3_backup_init(target.Handle, "main", source.Handle, "main")
            ?? throw new SqlException($"cannot start the copy: {raw.sqlite3_errmsg(target.Handle).utf8_to_string()}");
        try
        {
            var step = 16;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rc = raw.sqlite3_backup_step(backup, step);
                var total = raw.sqlite3_backup_pagecount(backup);
                step = Math.Max(16, total / 50);
                await progress(total - raw.sqlite3_backup_remaining(backup), total).ConfigureAwait(false);
                if (rc == raw.SQLITE_DONE)
                {
                    return total;
                }

                if (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
                {
                    await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                }
                else if (rc != raw.SQLITE_OK)
                {
                    throw new SqlException($"copy failed: {raw.sqlite3_errstr(rc).utf8_to_string()}");
                }
            }
        }
        finally
        {
            raw.sqlite3_backup_finish(backup);
        }
    }

    /// <summary>Removes the node's own identity: its site id goes; ordinal 0 (the local site in clocks) becomes an ordinary actor's ordinal.</summary>
    private static (ActorId Actor, long Version) MakeGeneric(SqliteConnection db)
    {
        using var tx = db.BeginTransaction();
        using var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT value FROM __corro_meta WHERE key = 'site_id'";
        if (command.ExecuteScalar() is not byte[] site)
        {
            // Already generic.
            return (ActorId.Empty, 0);
        }

        command.CommandText = "SELECT coalesce(max(ordinal), 0) + 1 FROM __corro_sites";
        var ordinal = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "DELETE FROM __corro_sites WHERE site_id = $site; INSERT INTO __corro_sites (ordinal, site_id) VALUES ($ordinal, $site)";
        command.Parameters.AddWithValue("$site", site);
        command.Parameters.AddWithValue("$ordinal", ordinal);
        command.ExecuteNonQuery();
        var clocks = new List<string>();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_\\_corro\\_clock' ESCAPE '\\'";
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                clocks.Add(reader.GetString(0));
            }
        }

        foreach (var clock in clocks)
        {
            command.CommandText = $"UPDATE {SchemaLoader.Quote(clock)} SET site = $ordinal WHERE site = 0";
            command.ExecuteNonQuery();
        }

        // Clock layout 3: one clock row per row, a site column per cell (c__s) and the sentinel's
        // (cl_site); the keys per version are kept by site too.
        var rowClocks = new List<(string Table, List<string> Sites)>();
        command.CommandText = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name GLOB '*__corro_clock_rows' AND (p.name = 'cl_site' OR p.name GLOB '*__s')";
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var table = reader.GetString(0);
                if (rowClocks.Count == 0 || rowClocks[^1].Table != table)
                {
                    rowClocks.Add((table, new List<string>()));
                }

                rowClocks[^1].Sites.Add(reader.GetString(1));
            }
        }

        foreach (var (table, sites) in rowClocks)
        {
            var set = string.Join(", ", sites.Select(c => $"{SchemaLoader.Quote(c)} = CASE WHEN {SchemaLoader.Quote(c)} = 0 THEN $ordinal ELSE {SchemaLoader.Quote(c)} END"));
            command.CommandText = $"UPDATE {SchemaLoader.Quote(table)} SET {set}";
            command.ExecuteNonQuery();
        }

        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__corro_version_keys'";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
        {
            command.CommandText = "UPDATE __corro_version_keys SET site = $ordinal WHERE site = 0";
            command.ExecuteNonQuery();
        }

        // The node's own versions are implied by __corro_versions; as another actor's, they are written down as applied.
        command.CommandText = "SELECT coalesce(max(version), 0) FROM __corro_versions WHERE site_id = $site";
        var version = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "DELETE FROM __corro_bookkeeping WHERE site_id = $site";
        command.ExecuteNonQuery();
        if (version > 0)
        {
            command.CommandText = "INSERT INTO __corro_bookkeeping (site_id, start_version, end_version) VALUES ($site, 1, $version)";
            command.Parameters.AddWithValue("$version", version);
            command.ExecuteNonQuery();
        }

        command.CommandText = "DELETE FROM __corro_meta WHERE key = 'site_id'; INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('backup_of', $site)";
        command.ExecuteNonQuery();
        tx.Commit();
        return (ActorId.FromBytes(site), version);
    }

    /// <summary>The actor a generic backup was made of (<c>backup_of</c>), and its last version.</summary>
    private static (ActorId Actor, long Version) FormerActor(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT value FROM __corro_meta WHERE key = 'backup_of'";
        if (command.ExecuteScalar() is not byte[] site)
        {
            return (ActorId.Empty, 0);
        }

        command.CommandText = "SELECT coalesce(max(end_version), 0) FROM __corro_bookkeeping WHERE site_id = $site";
        command.Parameters.AddWithValue("$site", site);
        return (ActorId.FromBytes(site), Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 5000";
        busy.ExecuteNonQuery();
        return connection;
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is harmless.
        }
    }
}
