using System.Globalization;

namespace Corrosion.Client;

/// <summary>Live subscriptions: <c>POST /v1/subscriptions</c> and <c>GET /v1/subscriptions/{id}?from=</c>.</summary>
public sealed partial class CorrosionClient
{
    /// <summary>
    /// Subscribes to a read-only query: the returned subscription yields the initial rows, the end of
    /// query, then every change of the result. When the connection breaks or the node ends the stream
    /// (for example because this reader fell behind), the subscription re-attaches from the last change
    /// it yielded, with backoff, so no change is lost or repeated. Returns once the node accepted the
    /// subscription (its id and columns are known).
    /// </summary>
    /// <param name="statement">One read-only statement; the same text reuses the node's existing subscription.</param>
    /// <param name="options">Skip the initial rows, or another retry policy; null for defaults.</param>
    /// <param name="cancellationToken">Cancels opening (retries included).</param>
    /// <exception cref="CorrosionException">the node refused the statement (400), was unavailable after all retries, or was unreachable.</exception>
    public async Task<CorrosionSubscription> SubscribeAsync(ClientStatement statement, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        options ??= SubscribeOptions.Default;
        var body = WriteStatement(statement);
        var attached = await RetryAsync(options.Retry ?? ReadRetry, ct => PostSubscriptionAsync(body, options.SkipRows, ct), cancellationToken);
        return new CorrosionSubscription(this, body, options, attached, from: null);
    }

    /// <summary>
    /// Re-attaches to an existing subscription after a change id the caller persisted (for example
    /// <see cref="CorrosionSubscription.LastChangeId"/> before a restart): the subscription yields every
    /// change after <paramref name="fromChangeId"/>, then new ones, re-attaching transparently like
    /// <see cref="SubscribeAsync"/>. It yields no rows and no end of query.
    /// </summary>
    /// <param name="queryId">The subscription's id (<see cref="CorrosionSubscription.QueryId"/>).</param>
    /// <param name="fromChangeId">The last change id already applied.</param>
    /// <param name="options">Another retry policy; null for defaults (<see cref="SubscribeOptions.SkipRows"/> does not apply).</param>
    /// <param name="cancellationToken">Cancels opening (retries included).</param>
    /// <exception cref="SubscriptionNotFoundException">the node does not know the subscription (404).</exception>
    /// <exception cref="ChangeIdExpiredException">the node no longer keeps the changes after <paramref name="fromChangeId"/> (410).</exception>
    /// <exception cref="CorrosionException">the node was unavailable after all retries, or unreachable.</exception>
    public async Task<CorrosionSubscription> ResumeAsync(string queryId, long fromChangeId, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queryId);
        options ??= SubscribeOptions.Default;
        var attached = await RetryAsync(options.Retry ?? ReadRetry, ct => GetSubscriptionAsync(queryId, fromChangeId, ct), cancellationToken);
        return new CorrosionSubscription(this, body: null, options, attached, fromChangeId);
    }

    internal Random RetryJitter => Jitter;

    internal async Task<AttachedSubscription> PostSubscriptionAsync(byte[] body, bool skipRows, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, skipRows ? "v1/subscriptions?skip_rows=true" : "v1/subscriptions", body);
        return await AttachAsync(request, null, cancellationToken);
    }

    internal async Task<AttachedSubscription> GetSubscriptionAsync(string queryId, long fromChangeId, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"v1/subscriptions/{Uri.EscapeDataString(queryId)}?from={fromChangeId}");
        using var request = NewRequest(HttpMethod.Get, path, null);
        try
        {
            return await AttachAsync(request, queryId, cancellationToken);
        }
        catch (CorrosionException e) when (e.StatusCode == 404 && e is not SubscriptionNotFoundException)
        {
            throw new SubscriptionNotFoundException(queryId, e.Message);
        }
    }

    private async Task<AttachedSubscription> AttachAsync(HttpRequestMessage request, string? knownId, CancellationToken cancellationToken)
    {
        var stream = await OpenStreamAsync(request, cancellationToken);
        try
        {
            var headers = stream.Response.Headers;
            var id = headers.TryGetValues("corro-query-id", out var ids) ? ids.FirstOrDefault() : knownId;
            var hash = headers.TryGetValues("corro-query-hash", out var hashes) ? hashes.FirstOrDefault() : null;
            if (string.IsNullOrEmpty(id))
            {
                throw new CorrosionException(200, "the node did not say the subscription's id (no corro-query-id header)");
            }

            var columns = await ReadColumnsAsync(stream, cancellationToken);
            return new AttachedSubscription(stream, id, hash, columns);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
