using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>
/// Collects replication hops in a child node (timestamped where they happen) and writes them as
/// "T hop actor version ticks peer" lines from its own thread, so the traced path never waits on stdout.
/// </summary>
internal sealed class HopWriter : IDisposable
{
    private readonly BlockingCollection<string> _lines = new(new ConcurrentQueue<string>());
    private readonly Thread _writer;
    private bool _disposed;

    public HopWriter(TextWriter output, object gate)
    {
        _writer = new Thread(() =>
        {
            foreach (var line in _lines.GetConsumingEnumerable())
            {
                lock (gate)
                {
                    output.WriteLine(line);
                    if (_lines.Count == 0)
                    {
                        output.Flush();
                    }
                }
            }

            lock (gate)
            {
                output.Flush();
            }
        }) { IsBackground = true, Name = "hop-writer" };
        _writer.Start();
    }

    public void Record(string hop, ActorId actor, long version, EndPoint? peer)
    {
        var at = Stopwatch.GetTimestamp();
        _lines.Add(FormattableString.Invariant($"T {hop} {actor} {version} {at} {peer?.ToString() ?? "-"}"));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _lines.CompleteAdding();
        _writer.Join();
        _lines.Dispose();
    }
}
