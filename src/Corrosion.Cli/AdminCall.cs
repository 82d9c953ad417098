using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corrosion.Agent.Admin;

namespace Corrosion.Cli;

/// <summary>Runs one command over the node's admin socket and turns its frames into output and an exit code.</summary>
internal static class AdminCall
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Sends <paramref name="command"/>; the result value goes to <paramref name="onJson"/>, progress to <paramref name="onProgress"/>.</summary>
    /// <returns>0 when the node answered ok; 1 with the node's or the connection's error on stderr.</returns>
    public static async Task<int> RunAsync(
        string name,
        GlobalOptions globals,
        ParseResult parse,
        string command,
        JsonObject? args,
        TextWriter stderr,
        Func<JsonNode?, Task> onJson,
        CancellationToken cancellationToken,
        Action<long, long>? onProgress = null)
    {
        try
        {
            var path = globals.ResolveAdminPath(parse);
            await using var client = await AdminClient.ConnectAsync(path, cancellationToken);
            await foreach (var frame in client.SendAsync(command, args, cancellationToken))
            {
                if (frame.TryGetPropertyValue("json", out var json))
                {
                    await onJson(json);
                }
                else if (frame["progress"] is JsonObject progress)
                {
                    onProgress?.Invoke(progress["done"]?.GetValue<long>() ?? 0, progress["total"]?.GetValue<long>() ?? 0);
                }
                else if (frame["log"] is JsonValue log)
                {
                    await stderr.WriteLineAsync(log.ToString());
                }
                else if (frame["error"] is JsonValue error)
                {
                    await stderr.WriteLineAsync($"corrosion {name}: {error}");
                    return 1;
                }
            }

            return 0;
        }
        catch (Exception e) when (CliErrors.IsUserError(e) || e is InvalidDataException or OperationCanceledException)
        {
            await stderr.WriteLineAsync($"corrosion {name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Prints a JSON value indented.</summary>
    public static Func<JsonNode?, Task> PrintJson(TextWriter stdout) =>
        json => stdout.WriteLineAsync(json?.ToJsonString(Indented) ?? "null");
}
