using System.CommandLine;
using Corrosion.Client;

namespace Corrosion.Cli;

/// <summary><c>corrosion exec SQL [--param V]...</c>: runs a write through the node's API.</summary>
public static class ExecCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        var sql = new Argument<string>("sql") { Description = "the SQL statement to run in a transaction" };
        var param = ParamOption.Create();
        var timeout = new Option<double?>("--timeout") { Description = "seconds the transaction may run before it is rolled back" };
        var command = new Command("exec", "Run a statement in a transaction on a node (prints rows affected and the new version)");
        command.Arguments.Add(sql);
        command.Options.Add(param);
        command.Options.Add(timeout);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                using var client = new CorrosionClient(address, token);
                var statement = new ClientStatement(parse.GetValue(sql)!, SqlParams.Parse(parse.GetValue(param) ?? []));
                var seconds = parse.GetValue(timeout);
                var result = await client.ExecuteAsync([statement], seconds is { } s ? TimeSpan.FromSeconds(s) : null, cancellationToken);
                var version = result.Version is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
                await stdout.WriteLineAsync($"rows affected: {result.RowsAffected.Sum()}, version: {version}, time: {result.Time * 1000:F3} ms");
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e))
            {
                await stderr.WriteLineAsync($"corrosion exec: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
