using System.Buffers;
using System.CommandLine;
using System.Text;
using Corrosion.Client;
using System.Text.Json;

namespace Corrosion.Cli;

/// <summary>
/// <c>corrosion sync generate</c>: prints the node's sync state (from <c>GET /v1/sync/state</c>) as
/// indented JSON: the heads, needs and partial needs it would send a peer.
/// </summary>
public static class SyncCommand
{
    /// <summary>Builds the <c>sync</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var sync = new Command("sync", "Inspect replication through a node (generate: HTTP API; reconcile-gaps: admin socket)");
        var generate = new Command("generate", "Print the node's sync state (heads, needs, partial needs) as JSON");
        generate.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                using var client = new CorrosionClient(address, token);
                var state = await client.GetJsonAsync("v1/sync/state", cancellationToken);
                await stdout.WriteLineAsync(Indented(state));
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is HttpRequestException or JsonException or TaskCanceledException)
            {
                await stderr.WriteLineAsync($"corrosion sync generate: {e.Message}");
                return 1;
            }
        });
        sync.Subcommands.Add(generate);
        var reconcile = new Command("reconcile-gaps", "Re-read the version bookkeeping from the database, recount the gaps, and start a sync round when some remain (admin socket); prints the needs as JSON");
        reconcile.SetAction((parse, cancellationToken) =>
            AdminCall.RunAsync("sync reconcile-gaps", globals, parse, "sync.reconcile-gaps", null, stderr, AdminCall.PrintJson(stdout), cancellationToken));
        sync.Subcommands.Add(reconcile);
        return sync;
    }

    /// <summary>The element as indented JSON (written directly: the native build has no reflection-based serializer).</summary>
    internal static string Indented(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
