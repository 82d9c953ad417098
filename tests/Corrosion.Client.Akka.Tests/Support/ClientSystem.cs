using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka.Tests.Support;

/// <summary>A client's actor system (Akka.Remote on a free loopback port, strict serialization) and a client of one agent.</summary>
public sealed class ClientSystem : IAsyncDisposable
{
    private ClientSystem(ActorSystem system, CorrosionAkkaClient client)
    {
        System = system;
        Client = client;
    }

    public ActorSystem System { get; }

    public CorrosionAkkaClient Client { get; }

    public static ClientSystem Start(string node, string? token = null, bool strict = true, TimeSpan? resumeTimeout = null, params string[] moreNodes)
    {
        var system = ActorSystem.Create("client", CorrosionAkkaClient.ActorSystemConfig(strict: strict));
        var options = new CorrosionAkkaClientOptions { Token = token, RequestTimeout = TimeSpan.FromSeconds(30) };
        if (resumeTimeout is { } resume)
        {
            options.ResumeTimeout = resume;
        }

        options.Nodes.Add(node);
        foreach (var more in moreNodes)
        {
            options.Nodes.Add(more);
        }

        return new ClientSystem(system, new CorrosionAkkaClient(system, options));
    }

    /// <summary>An actor that records what it receives and acknowledges nothing (a subscriber that stalls).</summary>
    public (IActorRef Actor, ChannelReader<(object Message, IActorRef Sender)> Received) Recorder(string name)
    {
        var channel = Channel.CreateUnbounded<(object, IActorRef)>();
        var actor = System.ActorOf(Props.Create(() => new RecorderActor(channel.Writer)), name);
        return (actor, channel.Reader);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await System.Terminate();
    }

    private sealed class RecorderActor : ReceiveActor
    {
        public RecorderActor(ChannelWriter<(object, IActorRef)> writer) =>
            ReceiveAny(message => writer.TryWrite((message, Sender)));
    }
}

/// <summary>Reads the next message of a type with a deadline.</summary>
public static class ChannelReading
{
    public static async Task<T> NextAsync<T>(this ChannelReader<(object Message, IActorRef Sender)> reader, TimeSpan deadline)
        where T : class
    {
        using var cts = new CancellationTokenSource(deadline);
        var seen = new List<string>();
        while (true)
        {
            (object Message, IActorRef Sender) item;
            try
            {
                item = await reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {typeof(T).Name} within {deadline}; seen: {string.Join(", ", seen)}");
            }

            if (item.Message is T found)
            {
                return found;
            }

            seen.Add(item.Message is ClientError e ? $"ClientError({e.Code}: {e.Message})" : item.Message.GetType().Name);
        }
    }
}
