using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Corrosion.Cli;

/// <summary>
/// <c>corrosion sync generate</c>: prints the node's sync state (from <c>GET /v1/sync/state</c>) as
/// indented JSON: the heads, needs and partial needs it would send a peer.
/// </summary>
public static class SyncCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds the <c>sync</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var sync = new Command("sync", "Inspect replication through a node's API");
        var generate = new Command("generate", "Print the node's sync state (heads, needs, partial needs) as JSON");
        generate.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (address, token) = globals.ResolveApi(parse);
                var state = await FetchAsync(address, token, cancellationToken);
                await stdout.WriteLineAsync(JsonSerializer.Serialize(state, Indented));
                return 0;
            }
            catch (Exception e) when (CliErrors.IsUserError(e) || e is HttpRequestException or JsonException or TaskCanceledException)
            {
                await stderr.WriteLineAsync($"corrosion sync generate: {e.Message}");
                return 1;
            }
        });
        sync.Subcommands.Add(generate);
        return sync;
    }

    private static async Task<JsonElement> FetchAsync(Uri address, string? token, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/sync/state");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        using var document = JsonDocument.Parse(body);
        if (!response.IsSuccessStatusCode)
        {
            var message = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? error.GetString()
                : body;
            throw new CliException($"{(int)response.StatusCode} {message}");
        }

        return document.RootElement.Clone();
    }
}
