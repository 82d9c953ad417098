using Corrosion.Agent.Transport;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

/// <summary>
/// What an agent on the embedded defaults keeps out of its memory (issue 10's idle RSS): Akka's read of
/// the app.config <c>akka</c> section (System.Configuration and System.Private.Xml), System.Net.Quic
/// where QUIC cannot run, and Newtonsoft.Json (Akka's JSON serializer, which a node without <c>akka_api</c> never uses).
/// </summary>
public sealed class IdleFootprintProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-cluster-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task An_agent_on_the_defaults_loads_neither_app_config_readers_nor_quic_it_cannot_use()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc/<pid>/maps is Linux's
        }

        await using var agent = await AgentProcess.StartAsync(_dir);
        var maps = await File.ReadAllTextAsync($"/proc/{agent.Id}/maps");

        Assert.DoesNotContain("System.Configuration.ConfigurationManager.dll", maps, StringComparison.Ordinal);
        Assert.DoesNotContain("System.Private.Xml.dll", maps, StringComparison.Ordinal);
        Assert.DoesNotContain("Newtonsoft.Json.dll", maps, StringComparison.Ordinal);
        if (!GossipTransportFactory.IsQuicSupported())
        {
            Assert.DoesNotContain("System.Net.Quic.dll", maps, StringComparison.Ordinal);
        }

        Assert.Contains("Akka.dll", maps, StringComparison.Ordinal); // the maps are the agent's
        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
