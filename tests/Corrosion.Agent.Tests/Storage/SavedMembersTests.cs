using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Found by the SWIM fuzzer (100,000 datagrams): strangers' packets grew membership to thousands,
/// and every change rewrote every remembered member, so the writer was saturated. A save now
/// writes only the rows that changed.
/// </summary>
public sealed class SavedMembersTests
{
    private static StoredMember Member(int i, string state = "alive") =>
        new(ActorId.FromGuid(new Guid(i, 0, 0, new byte[8])), $"127.0.{i / 250}.{i % 250 + 1}:9000", i, 7, 1_700_000_000_000 + i, state);

    [Fact]
    public void A_save_rewrites_only_the_members_that_changed_and_removes_the_missing()
    {
        using var dir = new TempDirectory();
        var time = new SteppedTime { Now = DateTimeOffset.FromUnixTimeMilliseconds(1_000) };
        using var store = CrdtStore.Open(new StoreOptions(dir.File("m.db"), []), NullLogger<CrdtStore>.Instance, time);
        var members = Enumerable.Range(0, 2000).Select(i => Member(i)).ToList();
        store.SaveMembers(members);

        time.Now += TimeSpan.FromSeconds(1);
        members[5] = Member(5, "suspect");
        members.RemoveAt(7);
        store.SaveMembers(members);

        Assert.Equal(members.OrderBy(m => m.Address, StringComparer.Ordinal), store.LoadMembers());
        using var rewritten = store.Query(new Statement("SELECT address FROM __corro_members WHERE updated_at = 2000"));
        Assert.Equal([Member(5).Address], rewritten.Rows.Select(r => r.Cells[0].AsText));
    }

    [Fact]
    public void Saves_after_a_reopen_still_replace_what_the_file_held()
    {
        using var dir = new TempDirectory();
        var options = new StoreOptions(dir.File("m.db"), []);
        using (var first = CrdtStore.Open(options))
        {
            first.SaveMembers([Member(1), Member(2)]);
        }

        using var second = CrdtStore.Open(options);
        second.SaveMembers([Member(3)]);

        Assert.Equal([Member(3)], second.LoadMembers());
    }

    private sealed class SteppedTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
