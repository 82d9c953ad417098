using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

/// <summary>
/// Certificate rotation on real <c>corrosion agent</c> processes with mutual TLS made by
/// <c>corrosion tls</c>: SIGHUP makes a node re-read its gossip certificate files; new connections use
/// the new certificate, and links that were open stay up.
/// </summary>
public sealed class TlsReloadProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "corrosion-tls-reload-tests", Guid.NewGuid().ToString("N"));
    private readonly List<AgentProcess> _agents = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        return Task.CompletedTask;
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
            // A temp directory left behind is harmless.
        }
    }

    [Fact]
    public async Task Sighup_makes_new_connections_use_the_replaced_certificate_and_keeps_open_links()
    {
        var oldCa = await CaAsync("ca-old");
        var newCa = await CaAsync("ca-new");
        var ports = FreePorts(3);

        // A and B trust the old CA; A's files are replaced in place later.
        var aTls = Path.Combine(_root, "a-tls");
        await NodeCertificateAsync(oldCa, aTls);
        var a = await StartAsync("a", ports[0], aTls, []);
        var b = await StartAsync("b", ports[1], await NodeCertificateAsync(oldCa, Path.Combine(_root, "b-tls")), [ports[0]]);
        await WriteAsync(a, "before-reload");
        await WaitForRowAsync(b, "before-reload");

        // Rotate A to the new CA (certificate, key and CA files replaced) and send SIGHUP.
        var rotated = await NodeCertificateAsync(newCa, Path.Combine(_root, "a-new"));
        foreach (var file in new[] { "node.pem", "node.key", "ca.pem" })
        {
            File.Copy(Path.Combine(rotated, file), Path.Combine(aTls, file), overwrite: true);
        }

        await a.SignalAsync("HUP");
        await WaitForAsync(() => a.Output.Contains("certificates reloaded", StringComparison.Ordinal), "A did not log the reload");
        Assert.False(a.HasExited);

        // The link A–B opened before the rotation still carries A's writes: B now refuses any new
        // connection from A (A's certificate is from a CA B does not trust), so only the open link can.
        await WriteAsync(a, "after-reload");
        await WaitForRowAsync(b, "after-reload");

        // C trusts only the new CA: it joins A and gets A's writes, so A's new connections present the new certificate.
        var c = await StartAsync("c", ports[2], await NodeCertificateAsync(newCa, Path.Combine(_root, "c-tls")), [ports[0]]);
        await WriteAsync(a, "for-the-new-ca");
        await WaitForRowAsync(c, "for-the-new-ca");
    }

    private async Task<string> CaAsync(string name)
    {
        var dir = Path.Combine(_root, name);
        var ca = await CorrosionProcess.RunAsync(Deadline, "tls", "ca", "generate", "-o", dir);
        Assert.True(ca.ExitCode == 0, ca.Stderr);
        return dir;
    }

    /// <summary>A node certificate for 127.0.0.1 signed by <paramref name="ca"/>, as node.pem/node.key with the CA's ca.pem beside them.</summary>
    private static async Task<string> NodeCertificateAsync(string ca, string dir)
    {
        var made = Path.Combine(dir, "made");
        var server = await CorrosionProcess.RunAsync(Deadline, "tls", "server", "generate", "127.0.0.1",
            "--ca-cert", Path.Combine(ca, "ca.pem"), "--ca-key", Path.Combine(ca, "ca.key"), "-o", made);
        Assert.True(server.ExitCode == 0, server.Stderr);
        File.Copy(Path.Combine(made, "server.pem"), Path.Combine(dir, "node.pem"), overwrite: true);
        File.Copy(Path.Combine(made, "server.key"), Path.Combine(dir, "node.key"), overwrite: true);
        File.Copy(Path.Combine(ca, "ca.pem"), Path.Combine(dir, "ca.pem"), overwrite: true);
        return dir;
    }

    private async Task<AgentProcess> StartAsync(string name, int port, string tls, int[] bootstrap)
    {
        var agent = await AgentProcess.StartAsync(Path.Combine(_root, name), $$"""
            gossip {
              addr = "127.0.0.1:{{port}}"
              transport = tcp
              tls {
                cert_file = "{{Path.Combine(tls, "node.pem")}}"
                key_file = "{{Path.Combine(tls, "node.key")}}"
                ca_file = "{{Path.Combine(tls, "ca.pem")}}"
              }
            }
            membership.bootstrap = [{{string.Join(", ", bootstrap.Select(p => $"\"127.0.0.1:{p}\""))}}]
            """, Deadline);
        _agents.Add(agent);
        return agent;
    }

    private static async Task WriteAsync(AgentProcess agent, string id)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new[] { new object[] { "INSERT INTO machines (id, region) VALUES (?, 'tls')", new[] { id } } }), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(agent.ApiAddress, "v1/transactions"), content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task WaitForRowAsync(AgentProcess agent, string id) =>
        WaitForAsync(async () =>
        {
            using var content = new StringContent(JsonSerializer.Serialize(new object[] { "SELECT count(*) FROM machines WHERE id = ?", new[] { id } }), Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync(new Uri(agent.ApiAddress, "v1/queries"), content);
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length > 1 && JsonDocument.Parse(lines[1]).RootElement.TryGetProperty("row", out var row) && row[1][0].GetInt64() == 1;
        }, $"row {id} did not reach {agent.Directory}:\n{agent.Output}");

    private static Task WaitForAsync(Func<bool> condition, string failure) => WaitForAsync(() => Task.FromResult(condition()), failure);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Deadline, failure);
            await Task.Delay(100);
        }
    }

    private static int[] FreePorts(int count)
    {
        var ports = new List<int>();
        var held = new List<Socket>();
        try
        {
            while (ports.Count < count)
            {
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                held.Add(udp);
                try
                {
                    udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException)
                {
                    continue;
                }

                ports.Add(port);
            }
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        return [.. ports];
    }
}
