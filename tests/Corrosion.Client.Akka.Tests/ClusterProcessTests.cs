using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Corrosion.Client.Akka.Protocol;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>
/// Two real agents joined in one cluster over plaintext gossip on loopback: an actor of the client's
/// subscribes on node A's gateway, a row is written over HTTP on node B, and the change replicated to A
/// reaches the actor.
/// </summary>
public sealed class ClusterProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly HttpClient HttpClient = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));
    private AgentProcess? _a;
    private AgentProcess? _b;

    public async Task InitializeAsync()
    {
        var gossipA = FreeGossipPort();
        var gossipB = FreeGossipPort();
        // B bootstraps from A; short membership and sync intervals so the pair joins and converges quickly.
        static string Config(int own, string bootstrap) => string.Create(CultureInfo.InvariantCulture, $$"""
            gossip.addr = "127.0.0.1:{{own}}"
            gossip.sync.min_interval = 300ms
            gossip.sync.max_interval = 1s
            membership {
              probe_interval = 200ms
              probe_timeout = 100ms
              gossip_interval = 100ms
              reconnect_interval = 1s
              join_retry_max = 1s
              bootstrap = [{{bootstrap}}]
            }
            """);
        _a = await AgentProcess.StartAsync(Path.Combine(_root, "a"), Config(gossipA, ""), StartDeadline);
        _b = await AgentProcess.StartAsync(Path.Combine(_root, "b"), Config(gossipB, string.Create(CultureInfo.InvariantCulture, $"\"127.0.0.1:{gossipA}\"")), StartDeadline);
    }

    [Fact]
    public async Task A_change_written_over_http_on_node_b_reaches_an_actor_subscribed_on_node_a()
    {
        var a = _a!;
        var b = _b!;
        await WaitUntilAsync(async () => await MembersAsync(a) == 2 && await MembersAsync(b) == 2, "both nodes see two members");
        await using var client = ClientSystem.Start(a.AkkaAddress);
        var (subscriber, received) = client.Recorder("cluster-subscriber");

        await client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id, region FROM machines WHERE region = ?", "cluster"), subscriber);
        await received.NextAsync<Subscribed>(Deadline);
        var (eoq, stream) = await NextWithSenderAsync<SubscriptionEndOfQuery>(received);
        stream.Tell(new StreamAck(eoq.Seq), subscriber);

        await Http.ExecuteAsync(b.ApiAddress, "INSERT INTO machines (id, region) VALUES (?, ?)", "from-b", "cluster");

        var (changes, _) = await NextWithSenderAsync<SubscriptionChanges>(received);
        var change = Assert.Single(changes.Changes);
        Assert.Equal(ClientChangeKind.Insert, change.Kind);
        Assert.Equal(["from-b", "cluster"], change.Cells.Select(c => c.Text!).ToArray());
        Assert.Equal(eoq.ChangeId + 1, change.ChangeId);
    }

    public async Task DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        if (_a is not null)
        {
            await _a.DisposeAsync();
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

    private async Task<(T Message, IActorRef Sender)> NextWithSenderAsync<T>(ChannelReader<(object Message, IActorRef Sender)> received)
        where T : class
    {
        using var cts = new CancellationTokenSource(Deadline);
        var seen = new List<string>();
        while (true)
        {
            (object Message, IActorRef Sender) item;
            try
            {
                item = await received.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {typeof(T).Name} within {Deadline}; seen: {string.Join(", ", seen)}\n--- node a ---\n{_a?.Output}\n--- node b ---\n{_b?.Output}");
            }

            if (item.Message is T found)
            {
                return (found, item.Sender);
            }

            seen.Add(item.Message is ClientError e ? $"ClientError({e.Code}: {e.Message})" : item.Message.GetType().Name);
        }
    }

    private static async Task<int> MembersAsync(AgentProcess agent)
    {
        var body = await HttpClient.GetFromJsonAsync<JsonElement>(new Uri(agent.ApiAddress, "/v1/health"));
        return body.GetProperty("response").GetProperty("members").GetInt32();
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        var last = "nothing";
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {what} within {Deadline}; last error: {last}\n--- node a ---\n{_a?.Output}\n--- node b ---\n{_b?.Output}");
    }

    /// <summary>A loopback port free now for both UDP (SWIM) and TCP (the gossip transport).</summary>
    private static int FreeGossipPort()
    {
        var held = new List<Socket>();
        try
        {
            while (true)
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
                    return port;
                }
                catch (SocketException)
                {
                    // Taken for UDP; try another.
                }
            }
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }
}
