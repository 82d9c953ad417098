using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

/// <summary>Three real <c>corrosion agent</c> processes on loopback: join, crash, restart, graceful stop.</summary>
public sealed class ClusterMembershipProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "corrosion-cluster-tests", Guid.NewGuid().ToString("N"));
    private readonly List<AgentProcess> _agents = [];
    private int[] _ports = [];

    public Task InitializeAsync()
    {
        _ports = FreeUdpPorts(3);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Three_agents_form_a_cluster_see_a_crash_as_down_a_restart_as_alive_and_a_stop_as_left()
    {
        var started = await Task.WhenAll(Enumerable.Range(0, 3).Select(StartAsync));
        _agents.AddRange(started);

        // Joined from the one bootstrap address (node 0 lists itself, which it skips).
        foreach (var agent in _agents)
        {
            await WaitForAsync(agent, m => Enumerable.Range(0, 3).All(i => StateOf(m, i) == "alive"), "all three alive");
        }

        var health = await GetJsonAsync(_agents[0], "v1/health");
        Assert.Equal(3, health.GetProperty("response").GetProperty("members").GetInt32());
        var table = await CorrosionProcess.RunAsync(Deadline, "cluster", "members", "--api-addr", _agents[1].ApiAddr);
        Assert.True(table.ExitCode == 0, table.Stderr);
        foreach (var port in _ports)
        {
            Assert.Contains($"127.0.0.1:{port}", table.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(3, CountOccurrences(table.Stdout, "alive"));
        Assert.Contains("(self)", table.Stdout, StringComparison.Ordinal);

        // A crash (no leave) is detected by probing.
        await _agents[2].KillAsync();
        await WaitForAsync(_agents[0], m => StateOf(m, 2) == "down", "node 2 down");
        await WaitForAsync(_agents[1], m => StateOf(m, 2) == "down", "node 2 down");

        // Restarted on the same database and address: a new life replaces the old one.
        await _agents[2].DisposeAsync();
        _agents[2] = await StartAsync(2);
        await WaitForAsync(_agents[0], m => StateOf(m, 2) == "alive", "node 2 alive again");
        await WaitForAsync(_agents[1], m => StateOf(m, 2) == "alive", "node 2 alive again");
        await WaitForAsync(_agents[2], m => StateOf(m, 0) == "alive" && StateOf(m, 1) == "alive", "nodes 0 and 1 alive");

        // A graceful stop is announced, so the others mark it left rather than suspecting it.
        Assert.Equal(0, await _agents[1].StopAsync(Deadline));
        await WaitForAsync(_agents[0], m => StateOf(m, 1) == "left", "node 1 left");
        await WaitForAsync(_agents[2], m => StateOf(m, 1) == "left", "node 1 left");
        health = await GetJsonAsync(_agents[0], "v1/health");
        Assert.Equal(2, health.GetProperty("response").GetProperty("members").GetInt32());
    }

    private Task<AgentProcess> StartAsync(int index) => AgentProcess.StartAsync(
        Path.Combine(_root, $"node{index}"),
        string.Create(CultureInfo.InvariantCulture, $$"""
            gossip.addr = "127.0.0.1:{{_ports[index]}}"
            gossip.cluster_id = 5
            membership {
              probe_interval = 200ms
              probe_timeout = 100ms
              gossip_interval = 100ms
              reconnect_interval = 1s
              join_retry_max = 1s
              bootstrap = ["127.0.0.1:{{_ports[0]}}"]
            }
            """),
        Deadline);

    private string? StateOf(JsonElement members, int index)
    {
        var addr = $"127.0.0.1:{_ports[index]}";
        foreach (var member in members.EnumerateArray())
        {
            if (member.GetProperty("addr").GetString() == addr)
            {
                return member.GetProperty("state").GetString();
            }
        }

        return null;
    }

    private async Task WaitForAsync(AgentProcess agent, Func<JsonElement, bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        var last = "nothing";
        while (DateTime.UtcNow < until)
        {
            try
            {
                var members = await GetJsonAsync(agent, "v1/members");
                last = members.GetRawText();
                if (condition(members))
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{agent.ApiAddr} did not see {what} within {Deadline}; last answer: {last}\n{agent.Output}");
    }

    private async Task<JsonElement> GetJsonAsync(AgentProcess agent, string path)
    {
        var body = await Http.GetStringAsync(new Uri(agent.ApiAddress, path));
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private static int CountOccurrences(string text, string word)
    {
        var count = 0;
        for (var at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + word.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static int[] FreeUdpPorts(int count)
    {
        // Hold all sockets until every port is chosen so the same port is not handed out twice.
        var sockets = Enumerable.Range(0, count).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToList();
        try
        {
            foreach (var socket in sockets)
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }

            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temp folder is cleaned eventually.
        }
    }
}
