using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>What a quiet node gives back of its SQLite memory (<see cref="CrdtStore.ReleaseMemory"/>).</summary>
public sealed class ReleaseMemoryTests
{
    [Fact]
    public void Release_memory_frees_the_writers_page_cache_and_the_store_still_reads_and_writes()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        for (var i = 0; i < 200; i++)
        {
            store.Exec("INSERT INTO items (id, name, data) VALUES (?, 'x', zeroblob(4000))", i);
        }

        var before = store.WriterCacheUsed;
        Assert.True(before > 512 * 1024, $"the writer's page cache holds {before} bytes after 800 KB of rows");

        var freed = store.ReleaseMemory();

        Assert.True(freed >= before / 2, $"freed {freed} of {before} bytes");
        Assert.True(store.WriterCacheUsed < before / 2, $"{store.WriterCacheUsed} bytes left of {before}");
        Assert.Equal(200, store.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(201, store.Exec("INSERT INTO items (id) VALUES (1000)").Version);
    }
}
