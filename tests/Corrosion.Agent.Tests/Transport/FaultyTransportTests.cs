using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

public sealed class FaultyTransportTests : IAsyncLifetime
{
    private static TransportOptions Options => new()
    {
        Transport = TransportKind.Tcp,
        Plaintext = true,
        ClusterId = 1,
        BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
    };

    private FaultyTransport A { get; set; } = null!;

    private TcpGossipTransport B { get; set; } = null!;

    public async Task InitializeAsync()
    {
        A = new FaultyTransport(new TcpGossipTransport(Options), new Random(5));
        B = new TcpGossipTransport(Options);
        await A.StartAsync(CancellationToken.None);
        await B.StartAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Cut_link_loses_framesAnd_refuses_sessions_until_healed()
    {
        A.Cut(B.LocalEndPoint);
        Assert.True(A.TrySend(B.LocalEndPoint, TestFrames.Make(1, 64)));
        await Assert.ThrowsAsync<SocketException>(() => A.OpenSessionAsync(B.LocalEndPoint, CancellationToken.None));
        Assert.Equal(1, A.DroppedFrames);
        Assert.Equal(1, A.RefusedSessions);

        A.Heal(B.LocalEndPoint);
        Assert.True(A.TrySend(B.LocalEndPoint, TestFrames.Make(2, 64)));
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        var frame = await B.Frames.ReadAsync(cts.Token);
        Assert.Equal(2, TestFrames.IndexOf(frame.Frame.Span)); // frame 1 never arrives
        await using var session = await A.OpenSessionAsync(B.LocalEndPoint, CancellationToken.None);
    }

    [Fact]
    public async Task A_session_open_before_the_cut_carries_nothing_after_it()
    {
        var state = TestFrames.Make(1, 64);
        await using var client = await A.OpenSessionAsync(B.LocalEndPoint, CancellationToken.None);
        await client.SendAsync(state, CancellationToken.None);
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        await using var server = await B.IncomingSessions.ReadAsync(cts.Token);
        Assert.Equal(1, TestFrames.IndexOf((await server.ReceiveAsync(cts.Token))!.Value.Span));

        A.Cut(B.LocalEndPoint);
        // The peer's frame was on its way when the link went: it is lost, and the session fails both ways.
        await server.SendAsync(TestFrames.Make(2, 64), cts.Token);
        await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(cts.Token));
        await Assert.ThrowsAsync<SocketException>(async () => await client.SendAsync(TestFrames.Make(3, 64), cts.Token));
    }

    [Fact]
    public void Drop_rate_losesAbout_that_share_of_frames()
    {
        A.DropRate = 0.3;
        for (var i = 0; i < 1000; i++)
        {
            A.TrySend(B.LocalEndPoint, TestFrames.Make(i, 16));
        }

        Assert.InRange(A.DroppedFrames, 230, 370);
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
