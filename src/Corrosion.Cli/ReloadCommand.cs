using System.CommandLine;
using System.Text.Json.Nodes;

namespace Corrosion.Cli;

/// <summary><c>corrosion reload</c>: the node re-reads its schema files (additive changes applied, destructive ones refused) and its gossip certificates.</summary>
public static class ReloadCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        var command = new Command("reload", "Re-read the schema files (apply new tables, columns and indexes; refuse destructive changes, nothing half-applied) and the gossip TLS certificates");
        command.SetAction((parse, cancellationToken) => AdminCall.RunAsync("reload", globals, parse, "reload", null, stderr, async json =>
        {
            var applied = json?["applied"] as JsonArray ?? [];
            if (applied.Count == 0)
            {
                await stdout.WriteLineAsync("schema unchanged");
            }
            else
            {
                await stdout.WriteLineAsync($"schema reloaded: {applied.Count} statement(s) applied");
                foreach (var step in applied)
                {
                    await stdout.WriteLineAsync($"  {step}");
                }
            }

            await stdout.WriteLineAsync($"tables: {string.Join(", ", (json?["tables"] as JsonArray ?? []).Select(t => t?.ToString()))}");
            await stdout.WriteLineAsync($"gossip certificates: {json?["certificates"]}");
        }, cancellationToken));
        return command;
    }
}
