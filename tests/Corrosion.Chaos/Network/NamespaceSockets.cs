using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Corrosion.Chaos.Network;

/// <summary>
/// Opens TCP connections inside a network namespace from this process, which stays in its own.
/// A socket belongs to the namespace of the thread that created it (setns(2) with CLONE_NEWNET
/// changes only the calling thread), so one dedicated thread enters the namespace for good and
/// creates sockets on request; connecting and all I/O then happen on any thread. The harness uses
/// it to reach each node's API on the loopback of the node's own namespace, off the faulty links.
/// </summary>
public sealed partial class NamespaceSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = new(boundedCapacity: 256);
    private readonly Thread _thread;

    public NamespaceSockets(string namespaceName)
    {
        Namespace = namespaceName;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Serve(entered)) { IsBackground = true, Name = $"netns {namespaceName}" };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    public string Namespace { get; }

    /// <summary>A handler whose connections are made inside the namespace (one pool per namespace).</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(3),
    };

    /// <summary>Creates an unconnected TCP socket inside the namespace.</summary>
    public Task<Socket> CreateSocketAsync(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        ObjectDisposedException.ThrowIf(_requests.IsAddingCompleted, this);
        _requests.Add(request, cancellationToken);

        return request.Task;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = await CreateSocketAsync(cancellationToken);
        try
        {
            socket.NoDelay = true;
            var address = IPAddress.Parse(context.DnsEndPoint.Host);
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Serve(TaskCompletionSource entered)
    {
        try
        {
            using (var handle = File.OpenHandle(Path.Combine("/var/run/netns", Namespace)))
            {
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new ChaosSetupException($"setns into {Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }

            entered.SetResult();
        }
        catch (Exception e)
        {
            entered.SetException(e);
            return;
        }

        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try
            {
                request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            }
            catch (SocketException e)
            {
                request.SetException(e);
            }
        }
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _requests.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
