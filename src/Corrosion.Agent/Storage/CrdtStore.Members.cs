namespace Corrosion.Agent.Storage;

/// <summary>Persisted cluster members (<c>__corro_members</c>), written only through the StorageActor.</summary>
public sealed partial class CrdtStore
{
    private const string MembersDdl = """
        CREATE TABLE IF NOT EXISTS __corro_members (address TEXT PRIMARY KEY, actor_id BLOB NOT NULL, incarnation INTEGER NOT NULL, cluster_id INTEGER NOT NULL, started_at INTEGER NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID
        """;

    private bool _membersTableReady;

    /// <summary>Replaces the remembered members with <paramref name="members"/>, in one transaction.</summary>
    /// <param name="members">The members; one per address (a later duplicate wins).</param>
    public void SaveMembers(IReadOnlyList<StoredMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        EnsureMembersTable();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        NativeStatement.Exec(_db, "BEGIN IMMEDIATE");
        try
        {
            Prepared("DELETE FROM __corro_members").Run();
            var insert = Prepared("INSERT OR REPLACE INTO __corro_members (address, actor_id, incarnation, cluster_id, started_at, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            foreach (var member in members)
            {
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
        }
        catch
        {
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
