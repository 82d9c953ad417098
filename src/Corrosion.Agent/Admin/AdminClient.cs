using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Corrosion.Agent.Admin;

/// <summary>The CLI's end of the admin socket: sends one request and reads its answer frames.</summary>
public sealed class AdminClient : IAsyncDisposable
{
    private const long MaxAnswerFrame = 256L * 1024 * 1024;
    private readonly NetworkStream _stream;

    private AdminClient(string path, NetworkStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>Connects to the node's admin socket.</summary>
    /// <exception cref="IOException">no node serves the path; the message names it and says why.</exception>
    public static async Task<AdminClient> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new IOException($"no admin socket at {path}: is the agent running with this configuration (admin.path, db.path)? Give the path with --admin-path");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var why = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "nobody is listening (the agent is not running, or was killed and left the file behind)",
                SocketError.AccessDenied => "permission denied (admin.mode lets only the node's user connect)",
                _ => e.Message,
            };
            throw new IOException($"cannot connect to the admin socket {path}: {why}", e);
        }

        return new AdminClient(path, new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Sends a request and yields its answer frames up to and including the final <c>ok</c> or <c>error</c>.</summary>
    public async IAsyncEnumerable<JsonObject> SendAsync(string command, JsonObject? args, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await AdminFrames.WriteAsync(_stream, new JsonObject { ["command"] = command, ["args"] = args ?? [] }, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var frame = await AdminFrames.ReadAsync(_stream, MaxAnswerFrame, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"the node closed the admin socket {Path} before answering {command}");
            yield return frame;
            if (frame.ContainsKey("ok") || frame.ContainsKey("error"))
            {
                yield break;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
