using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// Slow clients on the HTTP API (raw sockets): headers or a body dribbled in byte by byte, a body that
/// stalls half-way. Each is cut off within the configured
/// limits (<c>api.request_headers_timeout</c>, <c>api.min_data_rate</c>, <c>api.min_data_rate_grace</c>;
/// short here), changes nothing, and other clients are served promptly all the while.
/// </summary>
public sealed class SlowClientTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    /// <summary>How long the node may take to cut a slow client off: its limit plus Kestrel's once-a-second check, on a loaded machine.</summary>
    private static readonly TimeSpan CutOffDeadline = TimeSpan.FromSeconds(30);

    private static Task<FuzzNode> StartAsync() => FuzzNode.StartAsync(replication: false, o =>
    {
        o.Api.StreamDrainTimeout = TimeSpan.FromMinutes(10);
        o.Api.RequestHeadersTimeout = Limit;
        o.Api.MinDataRate = new Corrosion.Hocon.ByteSize(240);
        o.Api.MinDataRateGrace = Limit;
    });

    [Fact]
    public async Task Clients_dribbling_headers_byte_by_byte_are_cut_off_while_others_are_served()
    {
        await using var node = await StartAsync();
        var request = Encoding.ASCII.GetBytes($"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FuzzNode.WriterToken}\r\nContent-Type: application/json\r\nX-Padding: {new string('p', 400)}\r\n\r\n");
        var slow = Enumerable.Range(0, 20).Select(_ => DribbleAsync(node.ApiAddress, request, TimeSpan.FromMilliseconds(200))).ToList();

        // While twenty clients crawl through their headers, a normal client is answered at once.
        await AssertServedPromptlyAsync(node);

        var outcomes = await Task.WhenAll(slow);
        Assert.All(outcomes, o => Assert.True(o.CutOff, $"a client sending its headers at 5 bytes/s was still connected after {o.Elapsed} ({o.Sent} bytes sent)"));
        Assert.All(outcomes, o => Assert.True(o.Sent < request.Length, "the node waited for the whole of a crawling request"));
        Assert.True(await node.HealthyAsync());
        Assert.Empty(node.Errors.Entries);
    }

    [Fact]
    public async Task A_body_that_stalls_half_way_is_cut_off_and_its_transaction_changes_nothing()
    {
        await using var node = await StartAsync();
        var before = node.Fingerprint();
        var body = Encoding.UTF8.GetBytes("""[["INSERT INTO items (id, name) VALUES (?, ?)", [5150, "stalled"]]]""");
        var head = Encoding.ASCII.GetBytes($"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FuzzNode.WriterToken}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");

        using var socket = await ConnectAsync(node.ApiAddress);
        await socket.SendAsync(head.Concat(body.Take(body.Length / 2)).ToArray(), SocketFlags.None);

        // Nothing more is sent: the node answers 408 (or closes) within its grace period, not never.
        await AssertServedPromptlyAsync(node);
        var (answer, closed) = await ReadUntilClosedAsync(socket, CutOffDeadline);
        Assert.True(closed, $"the connection of a stalled body was still open after {CutOffDeadline}; received: {answer}");
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), "a stalled body is answered 408 or the connection closed: " + answer);
        Assert.Equal(before, node.Fingerprint());
        Assert.True(await node.HealthyAsync());
        Assert.Empty(node.Errors.Entries);
    }

    [Fact]
    public async Task A_body_sent_byte_by_byte_below_the_minimum_rate_is_cut_off()
    {
        await using var node = await StartAsync();
        var body = Encoding.UTF8.GetBytes("[\"INSERT INTO items (id, name) VALUES (5151, '" + new string('s', 2000) + "')\"]");
        var head = Encoding.ASCII.GetBytes($"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FuzzNode.WriterToken}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        var before = node.Fingerprint();

        var outcome = await DribbleAsync(node.ApiAddress, body, TimeSpan.FromMilliseconds(50), head);

        Assert.True(outcome.CutOff, $"a body sent at 20 bytes/s was still being read after {outcome.Elapsed}");
        Assert.True(outcome.Sent < body.Length, "the node read the whole of a body sent below api.min_data_rate");
        await AssertServedPromptlyAsync(node);
        Assert.Equal(before, node.Fingerprint());
        Assert.Empty(node.Errors.Entries);
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_is_dropped_as_too_slow_and_writes_go_on_promptly()
    {
        await using var node = await StartAsync();
        var body = Encoding.UTF8.GetBytes("\"SELECT id, name FROM items\"");
        var head = Encoding.ASCII.GetBytes($"POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FuzzNode.ReaderToken}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        using var socket = await ConnectAsync(node.ApiAddress);
        // The socket's own buffers: shrinking the receive buffer of an open connection left its window shut
        // after a long stall until TCP's persist timer (backing off to 120 s) probed it again.
        await socket.SendAsync(head.Concat(body).ToArray(), SocketFlags.None);

        // 20,000 changed rows of 1 KB while the subscriber reads nothing: more than socket buffers and the
        // subscriber's buffer (subscriptions.subscriber_buffer) hold, so the node's writes to it stall.
        // Every transaction must still be answered promptly.
        var name = new string('w', 1000);
        var slowest = TimeSpan.Zero;
        for (var t = 0; t < 200; t++)
        {
            var started = Stopwatch.StartNew();
            var statements = Enumerable.Range(0, 100).Select(r => $"[\"INSERT OR REPLACE INTO items (id, name) VALUES (?, ?)\", [{10_000 + (t * 100) + r}, \"{name}\"]]");
            using var content = new StringContent("[" + string.Join(",", statements) + "]", Encoding.UTF8, "application/json");
            using var response = await node.Root.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            slowest = started.Elapsed > slowest ? started.Elapsed : slowest;
        }

        Assert.True(slowest < TimeSpan.FromSeconds(10), $"a transaction took {slowest} while a subscriber was not reading");
        await AssertServedPromptlyAsync(node);

        // The node did not buffer all 20,000 changes for it: reading now reaches the end of its stream —
        // whole lines, then an {"error"} line saying where to resume, then the end of the chunked body —
        // never a line cut in half.
        var (received, complete) = await ReadChunkedResponseAsync(socket, TimeSpan.FromSeconds(180));
        var text = Encoding.UTF8.GetString(received);
        var lines = text.Split('\n');
        var changes = lines.Count(l => l.StartsWith("{\"change\"", StringComparison.Ordinal));
        Assert.True(complete, $"the stream of a subscriber that read nothing did not end whole ({changes} changes, {received.Length} bytes received; ends: {text[Math.Max(0, text.Length - 300)..]})");
        Assert.True(text.EndsWith('\n'), "the stream ended inside a line: " + text[Math.Max(0, text.Length - 300)..]);
        Assert.All(lines[..^1], l => JsonDocument.Parse(l).Dispose());
        var error = JsonDocument.Parse(lines[^2]).RootElement.GetProperty("error").GetString();
        Assert.Matches("resume with from=[0-9]+", error);
        Assert.True(changes < 20_000, $"all {changes} changes were kept for a subscriber that read nothing");
        Assert.True(await node.HealthyAsync());
        Assert.Empty(node.Errors.Entries);
    }

    [Fact]
    public async Task A_subscriber_that_stops_reading_gets_whole_lines_then_an_error_with_from_and_resumes_from_it()
    {
        // A high minimum rate, so the node gives up on the reader as soon as its socket buffers are full
        // (one 100 KB change per flush: 2 s of grace plus 0.1 s), long before its change buffer overflows.
        await using var node = await FuzzNode.StartAsync(replication: false, o =>
        {
            o.Api.MinDataRate = new Corrosion.Hocon.ByteSize(1024 * 1024);
            o.Api.MinDataRateGrace = TimeSpan.FromSeconds(2);
            o.Api.StreamDrainTimeout = TimeSpan.FromMinutes(10);
            o.Subscriptions = o.Subscriptions with { IdleTimeout = TimeSpan.FromMinutes(10) };
        });
        var body = Encoding.UTF8.GetBytes("\"SELECT id, name FROM items\"");
        var head = Encoding.ASCII.GetBytes($"POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FuzzNode.ReaderToken}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        using var socket = await ConnectAsync(node.ApiAddress);
        // The socket's own buffers: shrinking the receive buffer of an open connection left its window shut
        // after a long stall until TCP's persist timer (backing off to 120 s) probed it again.
        await socket.SendAsync(head.Concat(body).ToArray(), SocketFlags.None);
        await WaitForListenersAsync(node, 1);

        // Changes of 100 KB, one per transaction, until the node has given up on the reader (its listener
        // detached) — the gate; at most 400 (40 MB, far more than socket buffers hold).
        var name = new string('z', 100_000);
        var written = 0;
        while (written < 400 && await ListenersAsync(node) > 0)
        {
            using var content = new StringContent($"[[\"INSERT INTO items (id, name) VALUES (?, ?)\", [{20_000 + written}, \"{name}\"]]]", Encoding.UTF8, "application/json");
            using var response = await node.Root.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            written++;
        }

        await WaitForListenersAsync(node, 0);

        // Now it reads: whole lines, consecutive change ids, then the error naming where to resume.
        var (received, complete) = await ReadChunkedResponseAsync(socket, TimeSpan.FromSeconds(180));
        var text = Encoding.UTF8.GetString(received);
        Assert.True(complete, $"the stream did not end whole ({received.Length} bytes; ends: {text[Math.Max(0, text.Length - 200)..]})");
        Assert.True(text.EndsWith('\n'), "the stream ended inside a line");
        var lines = text.Split('\n')[..^1].Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var changeIds = lines.Where(l => l.TryGetProperty("change", out _)).Select(l => l.GetProperty("change")[3].GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, changeIds.Count).Select(i => (long)i), changeIds);
        var error = lines[^1].GetProperty("error").GetString()!;
        Assert.Contains("api.min_data_rate", error, StringComparison.Ordinal);
        Assert.EndsWith($"resume with from={changeIds.Count}", error, StringComparison.Ordinal);
        Assert.True(changeIds.Count < written, $"all {written} changes were sent to a reader that read nothing");

        // Resuming from there gives the next change: nothing was skipped.
        var id = await QueryIdAsync(node);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/subscriptions/{id}?from={changeIds.Count}", UriKind.Relative));
        using var resumed = await node.Root.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        using var reader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JsonElement next;
        do
        {
            next = JsonDocument.Parse((await reader.ReadLineAsync(cts.Token))!).RootElement; // {"columns"} first
        }
        while (!next.TryGetProperty("change", out _));

        Assert.Equal(changeIds.Count + 1, next.GetProperty("change")[3].GetInt64());
        Assert.Empty(node.Errors.Entries);
    }

    private static async Task<IReadOnlyList<Corrosion.Agent.Subscriptions.SubscriptionInfo>> SubscriptionsAsync(FuzzNode node) =>
        await node.Node.Actors.Subscriptions!.Ask<IReadOnlyList<Corrosion.Agent.Subscriptions.SubscriptionInfo>>(
            r => new Corrosion.Agent.Subscriptions.ListSubscriptions(r), TimeSpan.FromSeconds(30), CancellationToken.None);

    private static async Task<int> ListenersAsync(FuzzNode node) => (await SubscriptionsAsync(node)).Sum(s => s.Listeners);

    private static async Task<string> QueryIdAsync(FuzzNode node) => Assert.Single(await SubscriptionsAsync(node)).Id;

    private static async Task WaitForListenersAsync(FuzzNode node, int listeners)
    {
        var deadline = Stopwatch.StartNew();
        while (await ListenersAsync(node) != listeners)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the subscription did not reach {listeners} listeners within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Reads an HTTP/1.1 response with a chunked body until its last chunk, the node closing the
    /// connection, or the deadline; the body (de-chunked) and whether the last chunk arrived.
    /// </summary>
    private static async Task<(byte[] Body, bool Complete)> ReadChunkedResponseAsync(Socket socket, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var raw = new List<byte>();
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }

                raw.AddRange(buffer.AsSpan(0, n));
                // The last chunk (size 0) ends the body; de-chunked once at the end (not per read: megabytes arrive).
                if (raw.Count >= 7 && raw[^7..].SequenceEqual("\r\n0\r\n\r\n"u8.ToArray()))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // Reset by the node, or the deadline: what arrived is the answer.
        }

        return Dechunk(raw.ToArray());
    }

    private static (byte[] Body, bool Complete) Dechunk(byte[] raw)
    {
        var crlf = "\r\n"u8;
        var headerEnd = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(headerEnd >= 0 || raw.Length == 0, "no HTTP header");
        var body = new List<byte>();
        var at = headerEnd + 4;
        while (headerEnd >= 0 && at < raw.Length)
        {
            var lineEnd = raw.AsSpan(at).IndexOf(crlf);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(raw, at, lineEnd).Split(';')[0], 16);
            at += lineEnd + 2;
            if (size == 0)
            {
                return (body.ToArray(), true);
            }

            var take = Math.Min(size, raw.Length - at);
            body.AddRange(raw.AsSpan(at, take));
            at += size + 2;
        }

        return (body.ToArray(), false);
    }

    private sealed record Dribble(bool CutOff, int Sent, TimeSpan Elapsed);

    /// <summary>Sends <paramref name="bytes"/> one at a time (after <paramref name="head"/> at once) until the node closes the connection.</summary>
    private static async Task<Dribble> DribbleAsync(Uri api, byte[] bytes, TimeSpan pause, byte[]? head = null)
    {
        using var socket = await ConnectAsync(api);
        var clock = Stopwatch.StartNew();
        if (head is not null)
        {
            await socket.SendAsync(head, SocketFlags.None);
        }

        var sent = 0;
        try
        {
            for (; sent < bytes.Length && clock.Elapsed < CutOffDeadline; sent++)
            {
                await socket.SendAsync(bytes.AsMemory(sent, 1), SocketFlags.None);
                await Task.Delay(pause);
                if (socket.Poll(0, SelectMode.SelectRead))
                {
                    // The node answered (a 408) or closed: either way it stopped waiting for us.
                    return new Dribble(true, sent + 1, clock.Elapsed);
                }
            }
        }
        catch (SocketException)
        {
            return new Dribble(true, sent, clock.Elapsed);
        }

        return new Dribble(false, sent, clock.Elapsed);
    }

    /// <summary>Reads until the node closes (or resets) the connection or the deadline passes; what it sent (the first <paramref name="keep"/> bytes).</summary>
    private static async Task<(string Text, bool Closed)> ReadUntilClosedAsync(Socket socket, TimeSpan deadline, int keep = 4096)
    {
        using var cts = new CancellationTokenSource(deadline);
        var text = new StringBuilder();
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (text.ToString(), true);
                }

                if (text.Length < keep)
                {
                    text.Append(Encoding.UTF8.GetString(buffer, 0, Math.Min(n, keep - text.Length)));
                }
            }
        }
        catch (SocketException)
        {
            return (text.ToString(), true);
        }
        catch (OperationCanceledException)
        {
            return (text.ToString(), false);
        }
    }

    private static async Task<Socket> ConnectAsync(Uri api)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, api.Port);
        return socket;
    }

    /// <summary>A normal client gets /v1/health and a query answered quickly.</summary>
    private static async Task AssertServedPromptlyAsync(FuzzNode node)
    {
        var clock = Stopwatch.StartNew();
        Assert.True(await node.HealthyAsync(TimeSpan.FromSeconds(10)), "a normal client was not answered /v1/health within 10 s");
        using var content = new StringContent("\"SELECT count(*) FROM items\"", Encoding.UTF8, "application/json");
        using var response = await node.Root.PostAsync(new Uri("v1/queries", UriKind.Relative), content);
        await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"a normal client waited {clock.Elapsed} (the slow clients take 20-100 s to send their requests)");
    }
}
