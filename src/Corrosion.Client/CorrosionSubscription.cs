using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Corrosion.Client;

/// <summary>
/// A live subscription: enumerate it for <see cref="SubscriptionRowEvent"/>s, one
/// <see cref="SubscriptionEndOfQueryEvent"/>, then <see cref="SubscriptionChangeEvent"/>s until the
/// enumeration is cancelled or the subscription disposed.
/// </summary>
/// <remarks>
/// <para>
/// When the connection breaks, or the node ends the stream with an error (it does so when this
/// reader falls behind), the subscription re-attaches with <c>GET /v1/subscriptions/{id}?from=</c>
/// the last change id it yielded, with backoff and jitter per <see cref="SubscribeOptions.Retry"/>,
/// and goes on without losing or repeating a change. Re-attaching fails with
/// <see cref="ChangeIdExpiredException"/> when the node no longer keeps those changes, and with
/// <see cref="SubscriptionNotFoundException"/> when the subscription is gone.
/// </para>
/// <para>
/// The initial rows are held until the end of query arrives and only then yielded, so that a
/// connection broken part way through the initial result can be restarted from scratch without
/// yielding a row twice; this costs memory proportional to the initial result.
/// </para>
/// <para>A stream that stays silent is not probed: a half-open connection is noticed only when TCP notices it.</para>
/// </remarks>
public sealed class CorrosionSubscription : IAsyncEnumerable<SubscriptionEvent>, IAsyncDisposable
{
    private readonly CorrosionClient _client;
    private readonly byte[]? _body;
    private readonly SubscribeOptions _options;
    private readonly Reconnector _reconnector;
    private readonly bool _resumed;
    private NdjsonStream? _stream;
    private bool _pastEndOfQuery;
    private int _enumerated;
    private int _disposed;

    internal CorrosionSubscription(CorrosionClient client, byte[]? body, SubscribeOptions options, AttachedSubscription attached, long? from)
    {
        _client = client;
        _body = body;
        _options = options;
        _reconnector = new Reconnector(options.Retry ?? client.ReadRetry, client.RetryJitter, $"subscription {attached.QueryId}");
        _stream = attached.Stream;
        QueryId = attached.QueryId;
        QueryHash = attached.QueryHash;
        Columns = attached.Columns;
        LastChangeId = from;
        _resumed = from is not null;
        _pastEndOfQuery = _resumed;
    }

    /// <summary>The subscription's id on the node (header <c>corro-query-id</c>), for <see cref="CorrosionClient.ResumeAsync"/>.</summary>
    public string QueryId { get; private set; }

    /// <summary>A hash of the statement (header <c>corro-query-hash</c>), or null when the node did not send it.</summary>
    public string? QueryHash { get; private set; }

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns { get; private set; }

    /// <summary>
    /// The change id of the last event yielded (the end of query's, then each change's), or the
    /// <c>from</c> id resumed after; null before the end of query. Persist it to resume after a restart.
    /// </summary>
    public long? LastChangeId { get; private set; }

    /// <summary>How many times the subscription re-attached after its stream broke or ended.</summary>
    public int Reattachments { get; private set; }

    /// <summary>Maps a row's cells (of a row or change event) to <typeparamref name="T"/> by this subscription's columns, as <see cref="CorrosionClient.QueryAsync{T}"/> does.</summary>
    /// <typeparam name="T">A record or class.</typeparam>
    /// <param name="cells">The cells of a <see cref="SubscriptionRowEvent"/> or <see cref="SubscriptionChangeEvent"/>.</param>
    /// <exception cref="RowMappingException">a parameter has no column, or a cell does not fit its member.</exception>
    public T Map<T>(IReadOnlyList<JsonElement> cells) => CorrosionClient.MapRow<T>(Columns, cells);

    /// <summary>Enumerates the events; a subscription can be enumerated once.</summary>
    /// <param name="cancellationToken">Ends the enumeration (with <see cref="OperationCanceledException"/>).</param>
    public IAsyncEnumerator<SubscriptionEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("a subscription can be enumerated once; resume it with CorrosionClient.ResumeAsync(QueryId, LastChangeId) for another enumeration");
        }

        return Events(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Closes the connection; an enumeration in progress ends.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Interlocked.Exchange(ref _stream, null)?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private async IAsyncEnumerable<SubscriptionEvent> Events([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            if (!_pastEndOfQuery)
            {
                var rows = new List<SubscriptionRowEvent>();
                SubscriptionEndOfQueryEvent? eoq = null;
                while (eoq is null)
                {
                    var next = await NextAsync(cancellationToken);
                    if (next is null)
                    {
                        yield break;
                    }

                    if (next.Kind == WireLineKind.Row)
                    {
                        rows.Add(new SubscriptionRowEvent(next.RowId, next.Cells));
                    }
                    else if (next.Kind == WireLineKind.EndOfQuery)
                    {
                        eoq = new SubscriptionEndOfQueryEvent(next.Time, next.ChangeId ?? 0);
                    }
                    else if (next.Kind == WireLineKind.Restarted)
                    {
                        rows.Clear();
                    }
                }

                _reconnector.Progressed();
                foreach (var row in rows)
                {
                    yield return row;
                }

                rows.Clear();
                LastChangeId = eoq.ChangeId;
                _pastEndOfQuery = true;
                yield return eoq;
            }

            while (await NextAsync(cancellationToken) is { } next)
            {
                if (next.Kind != WireLineKind.Change || next.ChangeId is not { } changeId || changeId <= LastChangeId)
                {
                    // Columns of a re-attached stream, unknown lines, or a change already yielded.
                    continue;
                }

                if (LastChangeId is { } last && changeId > last + 1)
                {
                    // Change ids of a subscription are consecutive, and the node answers 410 rather
                    // than skip: a jump means changes were lost, which a local copy must not hide.
                    throw new CorrosionException(0, $"subscription {QueryId} skipped from change {last} to {changeId}; changes in between were not received, subscribe again for a fresh result");
                }

                _reconnector.Progressed();
                LastChangeId = changeId;
                yield return new SubscriptionChangeEvent(ParseKind(next.Verb), next.RowId, next.Cells, changeId);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _stream, null)?.Dispose();
        }
    }

    /// <summary>
    /// The next line, re-attaching as needed (a re-attach before the end of query is reported as a
    /// <see cref="WireLineKind.Restarted"/> line); null when the subscription was disposed.
    /// </summary>
    private async Task<WireLine?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = Volatile.Read(ref _stream);
            if (Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }

            CorrosionException cause;
            if (stream is null)
            {
                cause = new CorrosionException(0, "not attached");
            }
            else
            {
                try
                {
                    var line = await stream.ReadAsync(cancellationToken);
                    if (line is not null && line.Kind != WireLineKind.Error)
                    {
                        return line;
                    }

                    cause = line is null
                        ? new CorrosionException(0, "the node ended the stream")
                        : new CorrosionException(200, line.Text);
                }
                catch (Exception) when (Volatile.Read(ref _disposed) != 0)
                {
                    return null;
                }
                catch (CorrosionException e) when (e.IsTransient)
                {
                    cause = e;
                }
            }

            Interlocked.Exchange(ref _stream, null)?.Dispose();
            var restarted = await ReattachAsync(cause, cancellationToken);
            if (restarted)
            {
                return WireLine.RestartedLine;
            }
        }
    }

    /// <summary>Re-attaches (retrying transient failures); true when the stream restarted from the initial rows.</summary>
    private async Task<bool> ReattachAsync(CorrosionException cause, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _reconnector.NextAttemptAsync(cause, cancellationToken);
            try
            {
                AttachedSubscription attached;
                bool restarted;
                if (!_pastEndOfQuery && _body is not null)
                {
                    attached = await _client.PostSubscriptionAsync(_body, _options.SkipRows, cancellationToken);
                    restarted = true;
                }
                else
                {
                    attached = await _client.GetSubscriptionAsync(QueryId, LastChangeId ?? 0, cancellationToken);
                    restarted = false;
                }

                if (Volatile.Read(ref _disposed) != 0)
                {
                    attached.Stream.Dispose();
                    return false;
                }

                QueryId = attached.QueryId;
                QueryHash = attached.QueryHash ?? QueryHash;
                Columns = attached.Columns;
                Reattachments++;
                _reconnector.Attached();
                Volatile.Write(ref _stream, attached.Stream);
                return restarted;
            }
            catch (CorrosionException e) when (e.IsTransient)
            {
                cause = e;
            }
        }
    }

    private static ChangeKind ParseKind(string verb) => verb switch
    {
        "insert" => ChangeKind.Insert,
        "update" => ChangeKind.Update,
        "delete" => ChangeKind.Delete,
        _ => throw new CorrosionException(200, $"unknown change kind \"{verb}\""),
    };
}
