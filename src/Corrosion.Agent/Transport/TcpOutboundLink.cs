using System.Net.Sockets;

namespace Corrosion.Agent.Transport;

/// <summary>A persistent TCP broadcast link; watches the read side to notice the peer going away.</summary>
internal sealed class TcpOutboundLink : IOutboundLink
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    public TcpOutboundLink(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        Closed = WatchAsync();
    }

    public Task Closed { get; }

    private async Task WatchAsync()
    {
        // The peer never writes on a broadcast link after its greeting: any read completion means it is gone.
        var buffer = new byte[1];
        try
        {
            _ = await _stream.ReadAsync(buffer);
        }
        catch (Exception)
        {
            // closed either way
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> batch, CancellationToken ct)
    {
        await _stream.WriteAsync(batch, ct);
        await _stream.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
        await Closed;
    }
}
