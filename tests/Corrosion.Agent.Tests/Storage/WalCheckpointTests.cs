using Corrosion.Agent.Storage;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>The WAL is checkpointed by a connection of its own, not inside a committing write (<c>db.checkpoint_pages</c>).</summary>
public class WalCheckpointTests
{
    private static (long Log, long Checkpointed) WalState(string path)
    {
        // A PASSIVE checkpoint from outside that finds nothing left to copy reports log == checkpointed.
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(1), reader.GetInt64(2));
    }

    private static void Write(CrdtStore store, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            store.Exec($"INSERT INTO items (id, name, data) VALUES ({i}, 'n{i}', randomblob(2000))");
        }
    }

    [Fact]
    public async Task A_wal_past_checkpoint_pages_is_checkpointed_in_the_background_and_nothing_is_lost()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("a") with { CheckpointPages = 20 };
        var store = builder.Open(options);
        Write(store, 0, 200);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.BackgroundCheckpoints == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(store.BackgroundCheckpoints > 0, "no background checkpoint ran");
        // The pages really reached the database file (a checkpoint on a connection that never read
        // the database returns OK having copied nothing, and the WAL grows without bound).
        Assert.True(new FileInfo(options.Path).Length > 20 * 4096, $"the database file holds {new FileInfo(options.Path).Length} bytes");
        Assert.Equal(200L, store.Rows("SELECT count(*) FROM items")[0][0].AsInteger);
        store.Dispose();
        using var again = CrdtStore.Open(options);
        Assert.Equal(200L, again.Rows("SELECT count(*) FROM items")[0][0].AsInteger);
        Assert.Equal(200, again.CurrentVersion);
    }

    [Fact]
    public async Task A_wal_that_outgrew_the_passive_passes_starts_over_after_a_restart_checkpoint()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("a") with { CheckpointPages = 20 };
        var store = builder.Open(options);
        Write(store, 0, 20);
        long restartsBefore;

        // A reader pinned at an old snapshot keeps every pass from reaching the WAL's end, as a writer
        // committing during each pass would: the WAL grows past 4x the threshold.
        using (var reader = new SqliteConnection($"Data Source={options.Path};Pooling=False"))
        {
            reader.Open();
            using var snapshot = reader.BeginTransaction(deferred: true);
            using (var read = reader.CreateCommand())
            {
                read.CommandText = "SELECT count(*) FROM items";
                Assert.Equal(20L, (long)read.ExecuteScalar()!);
            }

            Write(store, 20, 100);
            restartsBefore = store.BackgroundCheckpointRestarts;
        }

        // Reader gone: the next pass finds the WAL past 4x the threshold and restarts it.
        var next = 120;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.BackgroundCheckpointRestarts == restartsBefore && DateTime.UtcNow < deadline)
        {
            Write(store, next++, 1);
            await Task.Delay(20);
        }

        Assert.True(store.BackgroundCheckpointRestarts > restartsBefore, "no restart checkpoint ran");
        var walPath = options.Path + "-wal";
        var grown = new FileInfo(walPath).Length;

        // The next writes go to the start of the WAL: it does not grow (20 rows need far fewer frames than 100 did).
        Write(store, next, 20);
        Assert.Equal(grown, new FileInfo(walPath).Length);
        Assert.Equal(next + 20L, store.Rows("SELECT count(*) FROM items")[0][0].AsInteger);
    }

    [Fact]
    public void With_checkpoint_pages_zero_sqlite_checkpoints_inside_the_write_and_no_background_checkpoint_runs()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("a") with { CheckpointPages = 0 };
        var store = builder.Open(options);
        Write(store, 0, 1200);
        Assert.Equal(0, store.BackgroundCheckpoints);
        // SQLite's automatic checkpoint (1000 pages) ran inside the writes: the WAL holds fewer frames than were written.
        var (log, _) = WalState(options.Path);
        Assert.InRange(log, 0, 1100);
    }

    [Fact]
    public void The_writer_no_longer_checkpoints_by_itself()
    {
        using var builder = new StoreBuilder();
        // A threshold never reached: were SQLite's own checkpoint still installed, 1200 rows of 2 KB would pass its 1000 pages.
        var options = builder.Options("a") with { CheckpointPages = 1_000_000 };
        var store = builder.Open(options);
        Write(store, 0, 1200);
        var (log, _) = WalState(options.Path);
        Assert.True(log > 1000, $"the WAL holds {log} frames");
        Assert.Equal(0, store.BackgroundCheckpoints);
    }
}
