using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// The trigger functions are unmanaged callbacks that SQLite calls from inside a step. With the store's other direct
/// SQLite calls marked SuppressGCTransition, a collection during writes sometimes found a thread entering a callback in
/// the wrong GC mode and the runtime aborted the process ("attempted to call a UnmanagedCallersOnly method from managed
/// code"; about 4 in 10 runs of 8 s of 16 HTTP writers). Writes while another thread collects garbage must all land.
/// </summary>
public class TriggerCallbackTests
{
    [Fact]
    public void Writes_through_the_trigger_callbacks_survive_collections_on_another_thread()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        using var stop = new CancellationTokenSource();
        var written = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            }
        }) { IsBackground = true };
        collector.Start();
        try
        {
            // Collections back to back make each write slow (every transition waits for one to end): bounded by
            // time, not count. The abort came within the first second or so.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (; written < 2000 && clock.Elapsed < TimeSpan.FromSeconds(4); written++)
            {
                var tx = written;
                var rows = Enumerable.Range(0, 5).Select(i => new Statement($"INSERT INTO items (id, name, qty) VALUES ({(tx * 5) + i}, 'n{tx}', {i})")).ToList();
                store.ExecuteGroup([rows]);
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }

        Assert.True(written > 0);
        Assert.Equal(written, store.CurrentVersion);
        using var count = store.Query(new Statement("SELECT count(*) FROM items"));
        Assert.Equal(SqlValue.FromInteger(written * 5L), count.Rows.Single().Cells[0]);
    }
}
