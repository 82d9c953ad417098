using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Corrosion.Agent.Node;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Corrosion.Agent.Api;

/// <summary>
/// A long-lived NDJSON answer (a subscription, a table watch) whose reader may stop reading. Only
/// whole lines are handed to the connection, and a reader that falls behind gets its stream ended
/// with a whole <c>{"error"}</c> line after the lines it already has, never cut mid-line.
/// </summary>
/// <remarks>
/// Kestrel's own response-rate limit (<c>api.min_data_rate</c>) aborts the connection wherever the
/// bytes stand: a subscriber that stopped reading and came back found its stream ending in half a
/// line, without the error telling it where to resume. So for these answers the same rate is
/// applied here, between lines: a flush that takes longer than <c>api.min_data_rate_grace</c> plus
/// its bytes at <c>api.min_data_rate</c> marks the reader too slow, nothing more is written but the
/// error line, and the reader has <c>api.stream_drain_timeout</c> to take what was sent; only past
/// that is the connection closed where it stands.
/// </remarks>
internal sealed class NdJsonStream : IDisposable
{
    private readonly HttpContext _http;
    private readonly PipeWriter _body;
    private readonly Utf8JsonWriter _writer;
    private readonly long _minRate;
    private readonly TimeSpan _grace;
    private readonly TimeSpan _drain;
    private long _unflushed;
    private Task? _stalledFlush;

    public NdJsonStream(HttpContext http, ApiOptions options)
    {
        _http = http;
        _body = http.Response.BodyWriter;
        _writer = new Utf8JsonWriter(_body);
        _minRate = options.MinDataRate.Bytes;
        _grace = options.MinDataRateGrace;
        _drain = options.StreamDrainTimeout;
        if (_minRate > 0 && http.Features.Get<IHttpMinResponseDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
    }

    /// <summary>Writes one line (not yet flushed).</summary>
    public void WriteLine<T>(Action<Utf8JsonWriter, T> write, T item)
    {
        _writer.Reset();
        write(_writer, item);
        _writer.Flush();
        _body.Write("\n"u8);
        _unflushed += _writer.BytesCommitted + 1;
    }

    /// <summary>Writes one line (not yet flushed).</summary>
    public void WriteLine(Action<Utf8JsonWriter> write) => WriteLine(static (w, write) => write(w), write);

    /// <summary>
    /// Sends what was written.
    /// </summary>
    /// <exception cref="StreamStalledException">The reader took longer than the rate allows; write nothing more but <see cref="EndWithErrorAsync"/>.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var bytes = _unflushed;
        _unflushed = 0;
        var flush = _body.FlushAsync(CancellationToken.None);
        if (flush.IsCompleted)
        {
            await flush;
            return;
        }

        var pending = flush.AsTask();
        if (_minRate <= 0)
        {
            await pending.WaitAsync(cancellationToken);
            return;
        }

        var allowed = _grace + TimeSpan.FromSeconds((double)bytes / _minRate);
        try
        {
            await pending.WaitAsync(allowed, cancellationToken);
        }
        catch (TimeoutException)
        {
            _stalledFlush = pending;
            throw new StreamStalledException($"this reader took more than {allowed.TotalSeconds:0.#} s to take {bytes} bytes (api.min_data_rate, api.min_data_rate_grace)");
        }
    }

    /// <summary>
    /// Ends the stream with <c>{"error": message}</c> after everything already written, once the
    /// reader has taken enough of it; a reader that takes nothing for <c>api.stream_drain_timeout</c>
    /// has its connection closed instead.
    /// </summary>
    public async Task EndWithErrorAsync(string message)
    {
        var deadline = Task.Delay(_drain, _http.RequestAborted);
        try
        {
            if (_stalledFlush is { } stalled && await Task.WhenAny(stalled, deadline) != stalled)
            {
                _http.Abort();
                return;
            }

            WriteLine(w =>
            {
                w.WriteStartObject();
                w.WriteString("error", message);
                w.WriteEndObject();
            });
            var flush = _body.FlushAsync(CancellationToken.None).AsTask();
            if (await Task.WhenAny(flush, deadline) != flush)
            {
                _http.Abort();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client left, or the connection was aborted meanwhile: nobody reads the error.
            _http.Abort();
        }
    }

    public void Dispose() => _writer.Dispose();
}
