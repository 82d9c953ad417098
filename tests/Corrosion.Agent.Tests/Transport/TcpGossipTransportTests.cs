using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>What only the TCP transport does: TLS, greetings, and raw-socket misbehaviour.</summary>
public sealed class TcpGossipTransportTests : IAsyncLifetime, IDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly TempCertificates _certs = new();

    private static TransportOptions Options => new()
    {
        Transport = TransportKind.Tcp,
        ClusterId = 1,
        BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        SendTimeout = TimeSpan.FromSeconds(2),
        ReconnectBackoffMin = TimeSpan.FromMilliseconds(20),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
    };

    private async Task<TcpGossipTransport> StartAsync(TransportOptions options)
    {
        var transport = new TcpGossipTransport(options, random: new Random(3));
        _owned.Add(transport);
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }

    private static async Task<ReceivedFrame> ReceiveOneAsync(IGossipTransport transport)
    {
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        return await transport.Frames.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task Without_certificates_or_plaintext_it_encrypts_with_a_self_signed_certificate()
    {
        var a = await StartAsync(Options with { Plaintext = false });
        var b = await StartAsync(Options with { Plaintext = false });

        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(3, 64)));
        Assert.Equal(3, TestFrames.IndexOf((await ReceiveOneAsync(b)).Frame.Span));
        Assert.True(a.IsEncrypted);
        Assert.True(b.IsEncrypted);
    }

    [Fact]
    public async Task With_plaintext_set_it_does_not_encrypt()
    {
        var a = await StartAsync(Options with { Plaintext = true });

        Assert.False(a.IsEncrypted);
    }

    [Fact]
    public async Task Mutual_tls_carries_frames_and_sessions()
    {
        var a = await StartAsync(_certs.NodeOptions(Options, "a"));
        var b = await StartAsync(_certs.NodeOptions(Options, "b"));

        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(5, 5000)));
        Assert.Equal(5, TestFrames.IndexOf((await ReceiveOneAsync(b)).Frame.Span));

        await using var session = await a.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        await session.SendAsync(TestFrames.Make(6, 100), CancellationToken.None);
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        await using var served = await b.IncomingSessions.ReadAsync(cts.Token);
        Assert.Equal(6, TestFrames.IndexOf((await served.ReceiveAsync(cts.Token))!.Value.Span));
        await served.CompleteAsync();
        Assert.Null(await session.ReceiveAsync(cts.Token));
    }

    [Fact]
    public async Task Tls_without_a_ca_encrypts_when_peers_accept_any_certificate()
    {
        var a = await StartAsync(_certs.NodeOptions(Options, "a", mutual: false) with { TlsInsecure = true });
        var b = await StartAsync(_certs.NodeOptions(Options, "b", mutual: false) with { TlsInsecure = true });
        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(1, 64)));
        Assert.Equal(1, TestFrames.IndexOf((await ReceiveOneAsync(b)).Frame.Span));
    }

    [Fact]
    public async Task Node_with_a_certificate_from_another_ca_is_refused()
    {
        using var strangers = new TempCertificates("Stranger CA");
        var b = await StartAsync(_certs.NodeOptions(Options, "b"));
        var stranger = await StartAsync(strangers.NodeOptions(Options, "s"));

        await Assert.ThrowsAnyAsync<Exception>(() => stranger.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));
        stranger.TrySend(b.LocalEndPoint, TestFrames.Make(1, 64));
        await Eventually.TrueAsync(() => stranger.Counters.ConnectFailures >= 1, "the stranger's link fails");
        Assert.False(b.Frames.TryRead(out _));
    }

    [Fact]
    public async Task Mutual_tls_refuses_a_client_whose_certificate_another_ca_signed()
    {
        using var strangers = new TempCertificates("Stranger CA");
        var b = await StartAsync(_certs.NodeOptions(Options, "b"));

        // The stranger trusts anyone, so only b's check of the client certificate can stop it.
        var stranger = await StartAsync(strangers.NodeOptions(Options, "s", mutual: false) with { TlsInsecure = true });
        await Assert.ThrowsAnyAsync<Exception>(() => stranger.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));
        Assert.False(b.IncomingSessions.TryRead(out _));
    }

    [Fact]
    public async Task Plaintext_client_cannot_talk_to_a_tls_node()
    {
        var b = await StartAsync(_certs.NodeOptions(Options, "b"));
        var plain = await StartAsync(Options with { Plaintext = true, ConnectTimeout = TimeSpan.FromMilliseconds(500) });
        await Assert.ThrowsAnyAsync<Exception>(() => plain.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None));
    }

    [Fact]
    public async Task Peer_that_greets_but_never_reads_trips_the_send_timeout_without_blocking_the_caller()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        var accepted = Task.Run(async () =>
        {
            var socket = await listener.AcceptAsync();
            socket.ReceiveBufferSize = 4096;
            var preface = new byte[8];
            await socket.ReceiveAsync(preface);
            await socket.SendAsync(new byte[] { 0x06 });
            return socket; // and never read again
        });

        var a = await StartAsync(Options with { Plaintext = true, SendTimeout = TimeSpan.FromMilliseconds(500), MaxFrameSize = 1 << 20 });
        var clock = Stopwatch.StartNew();
        var frame = TestFrames.Make(1, 1 << 20);
        await Eventually.TrueAsync(
            () =>
            {
                a.TrySend(listener.LocalEndPoint!, frame);
                return a.Counters.SendTimeouts >= 1;
            },
            "a write times out");
        using var peer = await accepted;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Garbage_on_a_link_closes_that_link_only()
    {
        var b = await StartAsync(Options with { Plaintext = true });
        var a = await StartAsync(Options with { Plaintext = true });

        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(b.LocalEndPoint);
            var greeting = new byte[8];
            "CORO"u8.CopyTo(greeting);
            greeting[4] = 1;
            greeting[5] = 1;
            await raw.SendAsync(greeting);
            var ack = new byte[1];
            await raw.ReceiveAsync(ack);
            var junk = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(junk, 2); // a length below any frame's
            await raw.SendAsync(junk);
            await Eventually.TrueAsync(() => b.Counters.MalformedStreams == 1, "the bad link is counted");
        }

        using (var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await stranger.ConnectAsync(b.LocalEndPoint);
            await stranger.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
            await Eventually.TrueAsync(() => b.Counters.MalformedStreams == 2, "a bad greeting is counted");
        }

        Assert.True(a.TrySend(b.LocalEndPoint, TestFrames.Make(9, 64)));
        Assert.Equal(9, TestFrames.IndexOf((await ReceiveOneAsync(b)).Frame.Span));
    }

    [Fact]
    public async Task Incoming_sessions_beyond_the_queue_are_refused_and_counted()
    {
        var b = await StartAsync(Options with { Plaintext = true, IncomingSessionQueue = 1 });
        var a = await StartAsync(Options with { Plaintext = true });
        await using var first = await a.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        await using var second = await a.OpenSessionAsync(b.LocalEndPoint, CancellationToken.None);
        await Eventually.TrueAsync(() => b.Counters.SessionsRefused == 1, "one session is refused");

        // Whichever was served second (the greetings race) is closed; the other stays queued and open.
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        var ends = new[] { first.ReceiveAsync(cts.Token).AsTask(), second.ReceiveAsync(cts.Token).AsTask() };
        var closed = await Eventually.WithinAsync(Task.WhenAny(ends), "the refused session ends");
        Assert.Null(await closed);
        Assert.False(ends.Single(t => t != closed).IsCompleted);
        Assert.True(b.IncomingSessions.TryRead(out var queued));
        await queued.DisposeAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    public void Dispose() => _certs.Dispose();
}
