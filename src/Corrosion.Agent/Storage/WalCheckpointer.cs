using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Moves SQLite's WAL checkpoint off the writer. By default SQLite checkpoints inside the commit
/// that takes the WAL past 1,000 pages: that one write copies every page into the database file and
/// fsyncs it, several milliseconds on the request's path (the p99 of sequential writes). Here the
/// writer's WAL hook only notes the WAL's size, and once it reaches <c>db.checkpoint_pages</c> a
/// PASSIVE checkpoint runs on a connection of its own on the thread pool, while the writer goes on
/// (WAL mode lets a checkpoint run beside a writer). Nothing about durability changes: a commit is
/// as durable as before, and the WAL is checkpointed as often.
/// </summary>
/// <remarks>
/// SQLitePCLRaw does not wrap <c>sqlite3_wal_hook</c>, so it is called directly in the same native
/// library. Where that is not possible the writer keeps SQLite's own automatic checkpoint.
/// </remarks>
internal sealed partial class WalCheckpointer : IDisposable
{
    private const int SqliteCheckpointPassive = 0;
    private const int SqliteCheckpointRestart = 2;

    // A PASSIVE pass never catches up with a writer that commits while it copies, and SQLite starts
    // the WAL over only when a checkpoint reached its end with no commit in between; past this many
    // times the threshold the pass is followed by a RESTART one, which holds writers off (they wait
    // in their busy handler) while it copies the few frames the passive pass left.
    private const int RestartFactor = 4;

    // How long a RESTART checkpoint waits for the writer's transaction in progress and for readers
    // of old frames; it gives up (and a later pass tries again) rather than stall writers longer.
    private const int RestartBusyTimeoutMs = 100;

    private readonly sqlite3 _connection;
    private readonly int _thresholdPages;
    private readonly ILogger _logger;
    private GCHandle _self;
    private int _running;
    private bool _disposed;
    private readonly Lock _gate = new();

    private long _checkpoints;
    private long _restarts;

    private WalCheckpointer(sqlite3 connection, int thresholdPages, ILogger logger)
    {
        _connection = connection;
        _thresholdPages = thresholdPages;
        _logger = logger;
    }

    /// <summary>Checkpoints this checkpointer ran that copied frames into the database (tests).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>RESTART checkpoints that completed because the WAL outgrew the passive passes (tests).</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>
    /// Installs a background checkpointer on <paramref name="writer"/> for the database at
    /// <paramref name="path"/>; null (SQLite's own checkpoint stays) when <paramref name="thresholdPages"/>
    /// is 0 or the hook cannot be installed.
    /// </summary>
    public static WalCheckpointer? Install(sqlite3 writer, string path, int thresholdPages, ILogger logger)
    {
        if (thresholdPages <= 0)
        {
            return null;
        }

        var opened = raw.sqlite3_open_v2(path, out var connection, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (opened != raw.SQLITE_OK)
        {
            connection?.Dispose();
            Log.HookUnavailable(logger, $"cannot open a checkpoint connection (code {opened})");
            return null;
        }

        try
        {
            // A connection that has never read the database has not opened its WAL yet, and SQLite's
            // checkpoint on such a connection returns OK having done nothing (the WAL then grows
            // without bound). Reading the header once opens it.
            NativeStatement.Exec(connection, $"PRAGMA schema_version; PRAGMA busy_timeout = {RestartBusyTimeoutMs};");
        }
        catch (SqlException e)
        {
            connection.Dispose();
            Log.HookUnavailable(logger, $"cannot read the database on the checkpoint connection ({e.Message})");
            return null;
        }

        var checkpointer = new WalCheckpointer(connection, thresholdPages, logger);
        checkpointer._self = GCHandle.Alloc(checkpointer);
        try
        {
            unsafe
            {
                _ = Native.sqlite3_wal_hook(writer.DangerousGetHandle(), &OnCommit, GCHandle.ToIntPtr(checkpointer._self));
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Log.HookUnavailable(logger, e.Message);
            checkpointer._self.Free();
            connection.Dispose();
            return null;
        }

        return checkpointer;
    }

    /// <summary>Removes the hook from <paramref name="writer"/>; call before <see cref="Dispose"/> and before closing the writer.</summary>
    public void Uninstall(sqlite3 writer)
    {
        unsafe
        {
            _ = Native.sqlite3_wal_hook(writer.DangerousGetHandle(), null, IntPtr.Zero);
        }
    }

    // Called by SQLite on the writer's thread after each commit, with the WAL's size in pages.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnCommit(IntPtr state, IntPtr db, IntPtr name, int pages)
    {
        if (GCHandle.FromIntPtr(state).Target is WalCheckpointer self && pages >= self._thresholdPages
            && Interlocked.CompareExchange(ref self._running, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Run(), self, preferLocal: false);
        }

        return raw.SQLITE_OK;
    }

    private void Run()
    {
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                var rc = raw.sqlite3_wal_checkpoint_v2(_connection, null, SqliteCheckpointPassive, out var frames, out var copied);
                if (rc == raw.SQLITE_OK && frames >= (long)_thresholdPages * RestartFactor)
                {
                    // Writers outpace the passive pass: the WAL would grow without bound.
                    rc = raw.sqlite3_wal_checkpoint_v2(_connection, null, SqliteCheckpointRestart, out frames, out copied);
                    if (rc == raw.SQLITE_OK)
                    {
                        Interlocked.Increment(ref _restarts);
                    }
                }

                if (rc == raw.SQLITE_OK && copied > 0)
                {
                    Interlocked.Increment(ref _checkpoints);
                }
                else if (rc != raw.SQLITE_BUSY)
                {
                    Log.CheckpointFailed(_logger, rc, raw.sqlite3_errmsg(_connection).utf8_to_string());
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Waits for a running checkpoint and closes the checkpoint connection.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    private static unsafe partial class Native
    {
        [LibraryImport("e_sqlite3")]
        public static partial IntPtr sqlite3_wal_hook(IntPtr db, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, int, int> callback, IntPtr state);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "WAL checkpoints stay in the writer: {Reason}")]
        public static partial void HookUnavailable(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "background WAL checkpoint failed ({Code}): {Message}")]
        public static partial void CheckpointFailed(ILogger logger, int code, string message);
    }
}
