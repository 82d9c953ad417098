namespace Corrosion.Client.Akka.Tests.Support;

/// <summary>One agent with the gateway on, shared by the tests of a class (each uses its own rows).</summary>
public sealed class SharedAgent : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));

    public AgentProcess Agent { get; private set; } = null!;

    /// <summary>Configuration beyond the defaults: a short change log, so expiry can be tested; a small query output bound.</summary>
    public const string Config = """
        subscriptions.max_change_log = 3
        api.max_query_rows = 20000
        akka_api { batch_rows = 500, window = 2 }
        """;

    public async Task InitializeAsync() => Agent = await AgentProcess.StartAsync(_dir, Config);

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
