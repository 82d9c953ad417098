using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Admin;

/// <summary>
/// The admin socket (<c>admin.path</c>): a Unix domain socket, created with <c>admin.mode</c>
/// permissions before it accepts anyone, serving <see cref="AdminFrames"/> requests one after the
/// other per connection. A stale socket file (a killed node's) is replaced; a live one (another
/// node's) is an error. The file is removed when the server stops.
/// </summary>
public sealed partial class AdminServer : IAsyncDisposable
{
    /// <summary>Handles one request: writes its frames through the reply; an exception becomes the error frame.</summary>
    public delegate Task Handler(string command, JsonObject args, AdminReply reply, CancellationToken cancellationToken);

    private readonly Socket _listener;
    private readonly Handler _handler;
    private readonly long _maxFrameSize;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private AdminServer(string path, Socket listener, Handler handler, long maxFrameSize, ILogger log)
    {
        Path = path;
        _listener = listener;
        _handler = handler;
        _maxFrameSize = maxFrameSize;
        _log = log;
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>Binds the socket and starts accepting.</summary>
    /// <exception cref="IOException">the path is in use by a running node, or cannot be bound.</exception>
    public static async Task<AdminServer> StartAsync(string path, UnixFileMode mode, long maxFrameSize, Handler handler, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(handler);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (Directory.Exists(path))
            {
                throw new IOException($"admin.path {path} is a directory");
            }

            if (await IsServedAsync(path))
            {
                throw new IOException($"admin.path {path} is in use: another node is serving it (stop it, or give this node its own admin.path)");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // Before Listen: nobody can connect while the file still has the umask's permissions.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"cannot bind the admin socket {path}: {e.Message}", e);
        }

        var server = new AdminServer(path, listener, handler, maxFrameSize, log);
        server._accepting = Task.Run(server.AcceptAsync);
        LogListening(log, path);
        return server;
    }

    private static async Task<bool> IsServedAsync(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var token = _stop.Token;
        try
        {
            while (await AdminFrames.ReadAsync(stream, _maxFrameSize, token) is { } request)
            {
                var reply = new AdminReply(stream, token);
                var command = request["command"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? request["command"]!.GetValue<string>() : null;
                if (command is null)
                {
                    await reply.ErrorAsync("the request has no \"command\" string");
                    continue;
                }

                var args = request["args"] as JsonObject ?? [];
                try
                {
                    await _handler(command, args, reply, token);
                    await reply.OkAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    if (e is not AdminCommandException)
                    {
                        LogCommandFailed(_log, command, e);
                    }

                    await reply.ErrorAsync(e.Message);
                }
            }
        }
        catch (InvalidDataException e)
        {
            // A malformed frame closes this connection, never the node.
            LogBadFrame(_log, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The CLI went away (Ctrl-C) or the node is stopping.
        }
    }

    /// <summary>Stops accepting, ends open connections and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Already gone.
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "admin socket listening on {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "admin command {Command} failed")]
    private static partial void LogCommandFailed(ILogger logger, string command, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "admin connection closed: {Reason}")]
    private static partial void LogBadFrame(ILogger logger, string reason);
}
