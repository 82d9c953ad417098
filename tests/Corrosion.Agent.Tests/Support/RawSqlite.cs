using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Support;

/// <summary>A second, plain connection to a SQLite file, for tests that look at (or tamper with) what a component wrote.</summary>
internal static class RawSqlite
{
    /// <summary>Opens <paramref name="path"/> without pooling; <paramref name="timeoutSeconds"/> is the busy timeout.</summary>
    public static SqliteConnection Open(string path, int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = timeoutSeconds }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>The first column of the first row, as an integer.</summary>
    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
