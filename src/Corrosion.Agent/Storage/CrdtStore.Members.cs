namespace Corrosion.Agent.Storage;

/// <summary>Persisted cluster members (<c>__corro_members</c>), written only through the StorageActor.</summary>
public sealed partial class CrdtStore
{
    private const string MembersDdl = """
        CREATE TABLE IF NOT EXISTS __corro_members (address TEXT PRIMARY KEY, actor_id BLOB NOT NULL, incarnation INTEGER NOT NULL, cluster_id INTEGER NOT NULL, started_at INTEGER NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID
        """;

    private bool _membersTableReady;

    // What the table holds (by address) since the last save, so a save writes only what changed:
    // membership persists on every change, and rewriting every row each time is quadratic in the
    // cluster size (the SWIM fuzzer's strangers made it saturate the writer).
    private Dictionary<string, StoredMember>? _savedMembers;

    /// <summary>Replaces the remembered members with <paramref name="members"/>, in one transaction, writing only the rows that changed.</summary>
    /// <param name="members">The members; one per address (a later duplicate wins).</param>
    public void SaveMembers(IReadOnlyList<StoredMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        EnsureMembersTable();
        var wanted = new Dictionary<string, StoredMember>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            wanted[member.Address] = member;
        }

        var saved = _savedMembers;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        NativeStatement.Exec(_db, "BEGIN IMMEDIATE");
        try
        {
            if (saved is null)
            {
                Prepared("DELETE FROM __corro_members").Run();
            }
            else
            {
                var delete = Prepared("DELETE FROM __corro_members WHERE address = ?1");
                foreach (var address in saved.Keys.Where(a => !wanted.ContainsKey(a)))
                {
                    delete.Bind(1, address).Run();
                }
            }

            var insert = Prepared("INSERT OR REPLACE INTO __corro_members (address, actor_id, incarnation, cluster_id, started_at, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            foreach (var member in wanted.Values)
            {
                if (saved is not null && saved.TryGetValue(member.Address, out var old) && old == member)
                {
                    continue;
                }

                insert.Bind(1, member.Address)
                    .BindBlob(2, member.Id.ToByteArray())
                    .Bind(3, member.Incarnation)
                    .Bind(4, member.ClusterId)
                    .Bind(5, member.StartedAtMs)
                    .Bind(6, member.State)
                    .Bind(7, now)
                    .Run();
            }

            NativeStatement.Exec(_db, "COMMIT");
            _savedMembers = wanted;
        }
        catch
        {
            _savedMembers = null;
            NativeStatement.Exec(_db, "ROLLBACK");
            throw;
        }
    }

    /// <summary>The remembered members, ordered by address.</summary>
    public IReadOnlyList<StoredMember> LoadMembers()
    {
        EnsureMembersTable();
        var read = Prepared("SELECT actor_id, address, incarnation, cluster_id, started_at, state FROM __corro_members ORDER BY address");
        var members = new List<StoredMember>();
        try
        {
            while (read.Step())
            {
                members.Add(new StoredMember(
                    ActorId.FromBytes(read.GetBlob(0)),
                    read.GetText(1),
                    read.GetInt64(2),
                    (ushort)read.GetInt64(3),
                    read.GetInt64(4),
                    read.GetText(5)));
            }
        }
        finally
        {
            read.Reset();
        }

        return members;
    }

    private void EnsureMembersTable()
    {
        if (!_membersTableReady)
        {
            // Created lazily: nodes that never run membership (embedded, tests) keep the file as it was.
            NativeStatement.Exec(_db, MembersDdl);
            _membersTableReady = true;
        }
    }
}
