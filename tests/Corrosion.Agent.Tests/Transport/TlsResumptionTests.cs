using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>
/// Sync sessions open a fresh TLS connection every 1-15 s per peer: the second and later handshakes between two nodes
/// resume the session (no certificate, signature or chain check) instead of a full handshake each time.
/// </summary>
public sealed class TlsResumptionTests
{
    [Fact]
    public async Task A_later_handshake_to_the_same_node_resumes_instead_of_sending_the_certificate_again()
    {
        using var tls = TransportTls.SelfSigned(NullLogger.Instance);
        var certificateBytes = tls.Certificate!.RawData.Length;

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var first = await ServerBytesOfOneSessionAsync(tls, listener);
        var second = await ServerBytesOfOneSessionAsync(tls, listener);
        var third = await ServerBytesOfOneSessionAsync(tls, listener);

        // A full handshake carries the server's certificate; a resumed one does not (its bytes are otherwise the same).
        Assert.True(second <= first - certificateBytes, $"first {first} B, second {second} B, certificate {certificateBytes} B");
        Assert.True(third <= first - certificateBytes, $"first {first} B, third {third} B, certificate {certificateBytes} B");
    }

    [Fact]
    public void Peers_get_a_name_of_their_own_unless_the_name_is_checked()
    {
        using var tls = TransportTls.SelfSigned(NullLogger.Instance);

        Assert.Equal("7f000001-4001.corrosion", tls.TargetHostFor(new IPEndPoint(IPAddress.Loopback, 4001)));
        Assert.NotEqual(tls.TargetHostFor(new IPEndPoint(IPAddress.Loopback, 4001)), tls.TargetHostFor(new IPEndPoint(IPAddress.Loopback, 4002)));
        Assert.Equal("node-1.example", tls.TargetHostFor(new DnsEndPoint("node-1.example", 4001)));
    }

    /// <summary>One TLS connection as the transport makes them: the bytes the client read from the server, one byte of data included.</summary>
    private static async Task<long> ServerBytesOfOneSessionAsync(TransportTls tls, TcpListener listener)
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsServerAsync(tls.ServerOptions(), timeout.Token);
            await ssl.WriteAsync(new byte[] { 42 }, timeout.Token);
            await ssl.FlushAsync(timeout.Token);
            // Waits for the client to close, so the session ticket that follows the handshake reaches it.
            _ = await ssl.ReadAsync(new byte[1], timeout.Token);
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var counting = new CountingStream(client.GetStream());
        await using (var ssl = new SslStream(counting, leaveInnerStreamOpen: true))
        {
            await ssl.AuthenticateAsClientAsync(tls.ClientOptions(tls.TargetHostFor(new IPEndPoint(IPAddress.Loopback, port))), timeout.Token);
            var one = new byte[1];
            Assert.Equal(1, await ssl.ReadAsync(one, timeout.Token));
            Assert.Equal(42, one[0]);
        }

        client.Client.Shutdown(SocketShutdown.Send);
        await server;
        return counting.BytesRead;
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
