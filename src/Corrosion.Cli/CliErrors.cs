using Corrosion.Client;

namespace Corrosion.Cli;

/// <summary>Which exceptions are the user's to fix (printed as a message) rather than bugs (printed with a trace).</summary>
public static class CliErrors
{
    /// <summary>True for configuration, schema, I/O and API errors.</summary>
    public static bool IsUserError(Exception e) => e is CliException
        or CorrosionException
        or Corrosion.Hocon.HoconException
        or Corrosion.Agent.Node.ConfigurationException
        or Corrosion.Agent.Storage.SqlException
        or Corrosion.Agent.Storage.SchemaException
        or InvalidOperationException
        or IOException
        or UnauthorizedAccessException
        or Microsoft.Data.Sqlite.SqliteException
        or System.Net.Sockets.SocketException;
}
