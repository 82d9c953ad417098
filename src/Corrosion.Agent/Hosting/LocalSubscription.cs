using System.Runtime.CompilerServices;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// An in-process subscription: the <see cref="SubscriptionStream"/> flattened into one sequence of
/// events (rows, end of query, changes). When the listener falls behind and its bounded buffer
/// overflows, the subscription re-attaches from the last change it yielded, so the sequence goes on
/// with no change lost or repeated (unless the node no longer keeps that change: then it ends with
/// <see cref="SubscriptionFailedException"/> of kind <see cref="SubscriptionErrorKind.ChangeIdExpired"/>).
/// Enumerate once; dispose to detach.
/// </summary>
public sealed class LocalSubscription : IAsyncEnumerable<SubscriptionEvent>, IAsyncDisposable
{
    private readonly LocalCorrosionClient _client;
    private SubscriptionStream _stream;
    private long? _lastChangeId;
    private int _enumerated;
    private int _disposed;

    internal LocalSubscription(LocalCorrosionClient client, SubscriptionStream stream, long? from)
    {
        _client = client;
        _stream = stream;
        _lastChangeId = from;
    }

    /// <summary>The subscription's id, for <see cref="LocalCorrosionClient.ResumeAsync"/> (and <c>GET /v1/subscriptions/{id}</c>).</summary>
    public string QueryId => _stream.QueryId;

    /// <summary>A hash of the statement.</summary>
    public string QueryHash => _stream.QueryHash;

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns => _stream.Columns;

    /// <summary>The last change id yielded (or the end-of-query's, or the <c>from</c> resumed after); null before any.</summary>
    public long? LastChangeId => _lastChangeId;

    /// <summary>How many times the subscription re-attached after its buffer overflowed.</summary>
    public int Resumes { get; private set; }

    /// <summary>The stream currently attached (replaced when the subscription re-attaches).</summary>
    public SubscriptionStream Stream => _stream;

    /// <inheritdoc />
    public IAsyncEnumerator<SubscriptionEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("a subscription's events can be enumerated once; subscribe again (or resume) for another sequence");
        }

        return Events(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<SubscriptionEvent> Events([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var row in _stream.Rows)
        {
            yield return new SubscriptionRowEvent(row.RowId, row.Cells);
        }

        if (_stream.EndOfQuery is { } eoq)
        {
            _lastChangeId = eoq.ChangeId;
            yield return new SubscriptionEndOfQueryEvent(eoq.Time, eoq.ChangeId);
        }

        while (true)
        {
            foreach (var change in _stream.Replay)
            {
                if (Fresh(change))
                {
                    yield return ToEvent(change);
                }
            }

            var reader = _stream.Changes;
            var overflowed = false;
            while (true)
            {
                try
                {
                    if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (SubscriberTooSlowException)
                {
                    overflowed = true;
                    break;
                }

                while (reader.TryRead(out var change))
                {
                    if (Fresh(change))
                    {
                        yield return ToEvent(change);
                    }
                }
            }

            if (!overflowed)
            {
                // The node ended the stream (it is stopping, or the subscription was dropped).
                yield break;
            }

            await ResumeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Fresh(SubscriptionChange change)
    {
        if (_lastChangeId is { } last && change.ChangeId <= last)
        {
            return false;
        }

        _lastChangeId = change.ChangeId;
        return true;
    }

    private static SubscriptionChangeEvent ToEvent(SubscriptionChange change) =>
        new(change.Kind, change.RowId, change.Cells, change.ChangeId);

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        if (_lastChangeId is not { } last)
        {
            // Cannot happen with an end-of-query mark first; without one there is nothing to resume from.
            throw new SubscriberTooSlowException("the subscriber fell behind before the end of its initial rows");
        }

        var old = _stream;
        await old.DisposeAsync().ConfigureAwait(false);
        _stream = await _client.AttachAsync(old.QueryId, last, cancellationToken).ConfigureAwait(false);
        Resumes++;
    }

    /// <summary>Detaches from the subscription (the subscription itself lives on until it expires).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
