using System.Runtime.CompilerServices;

namespace Corrosion.Client;

/// <summary>Primary-key update streams: <c>POST /v1/updates/{table}</c>.</summary>
public sealed partial class CorrosionClient
{
    /// <summary>
    /// Streams a notification for every row of <paramref name="table"/> that is inserted, changed or
    /// deleted, until cancelled. When the connection breaks or the node ends the stream, it is opened
    /// again with backoff per <see cref="ReadRetry"/>; notifications for changes made while it was
    /// closed are NOT replayed (the endpoint keeps no log). Use a subscription when every change matters.
    /// </summary>
    /// <param name="table">A table of the node's schema.</param>
    /// <param name="cancellationToken">Ends the stream (with <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="CorrosionException">the node does not know the table (400), or stayed unreachable or unavailable after all retries.</exception>
    public async IAsyncEnumerable<UpdateNotification> UpdatesAsync(string table, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var path = UpdatesPath(table);
        var stream = await RetryAsync(ReadRetry, ct => OpenUpdatesAsync(path, ct), cancellationToken);
        await foreach (var notification in Updates(table, path, stream, cancellationToken))
        {
            yield return notification;
        }
    }

    /// <summary>
    /// Like <see cref="UpdatesAsync"/>, but returns once the node has accepted the watch: every change
    /// committed after this completes is notified (until a reconnect, as there).
    /// </summary>
    /// <param name="table">A table of the node's schema.</param>
    /// <param name="cancellationToken">Cancels opening, and ends the stream later (with <see cref="OperationCanceledException"/>).</param>
    /// <returns>The notifications; enumerate once.</returns>
    /// <exception cref="CorrosionException">the node does not know the table (400), or stayed unreachable or unavailable after all retries.</exception>
    public async Task<IAsyncEnumerable<UpdateNotification>> WatchAsync(string table, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var path = UpdatesPath(table);
        var stream = await RetryAsync(ReadRetry, ct => OpenUpdatesAsync(path, ct), cancellationToken);
        return Updates(table, path, stream, cancellationToken);
    }

    private static string UpdatesPath(string table) => $"v1/updates/{Uri.EscapeDataString(table)}";

    private async IAsyncEnumerable<UpdateNotification> Updates(string table, string path, NdjsonStream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reconnector = new Reconnector(ReadRetry, Jitter, $"updates of {table}");
        try
        {
            while (true)
            {
                WireLine? line;
                CorrosionException? cause = null;
                try
                {
                    line = await stream.ReadAsync(cancellationToken);
                }
                catch (CorrosionException e) when (e.IsTransient)
                {
                    line = null;
                    cause = e;
                }

                if (line is { Kind: WireLineKind.Notify })
                {
                    reconnector.Progressed();
                    yield return new UpdateNotification(ParseUpdateKind(line.Verb), line.Cells);
                    continue;
                }

                if (line is not null && line.Kind != WireLineKind.Error)
                {
                    continue; // a line this client does not know
                }

                cause ??= line is null ? new CorrosionException(0, "the node ended the stream") : new CorrosionException(200, line.Text);
                stream.Dispose();
                stream = await ReopenUpdatesAsync(path, reconnector, cause, cancellationToken);
            }
        }
        finally
        {
            stream.Dispose();
        }
    }

    private async Task<NdjsonStream> ReopenUpdatesAsync(string path, Reconnector reconnector, CorrosionException cause, CancellationToken cancellationToken)
    {
        while (true)
        {
            await reconnector.NextAttemptAsync(cause, cancellationToken);
            try
            {
                var stream = await OpenUpdatesAsync(path, cancellationToken);
                reconnector.Attached();
                return stream;
            }
            catch (CorrosionException e) when (e.IsTransient)
            {
                cause = e;
            }
        }
    }

    private async Task<NdjsonStream> OpenUpdatesAsync(string path, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, path, null);
        return await OpenStreamAsync(request, cancellationToken);
    }

    private static UpdateKind ParseUpdateKind(string verb) => verb switch
    {
        "update" or "upsert" or "insert" => UpdateKind.Update,
        "delete" => UpdateKind.Delete,
        _ => throw new CorrosionException(200, $"unknown notification kind \"{verb}\""),
    };
}
