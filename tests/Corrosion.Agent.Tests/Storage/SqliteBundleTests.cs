using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Storage;

public class SqliteBundleTests
{
    [Fact]
    public void Bundled_sqlite_has_the_session_extension_and_preupdate_hook()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_compileoption_used('ENABLE_SESSION'), sqlite_compileoption_used('ENABLE_PREUPDATE_HOOK'), sqlite_version()";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.Equal(1L, reader.GetInt64(1));
        Assert.StartsWith("3.", reader.GetString(2), StringComparison.Ordinal);
    }
}
