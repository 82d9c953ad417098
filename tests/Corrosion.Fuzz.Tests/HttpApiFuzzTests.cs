using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// The HTTP API under generated requests (see <see cref="HttpInputs"/>), through Kestrel on a real
/// socket, from several client lanes at once (<c>CORROSION_FUZZ_CLIENTS</c>, default 4): one lane runs
/// every transaction in input order, the others the read-only requests. Every answer comes within its
/// deadline; no 5xx; every 4xx carries <c>{"error"}</c>; every line of a stream is JSON; a refused
/// transaction changes nothing (SQLite's <c>data_version</c> after every transaction, the database's
/// digest whenever it moved); the guarded table never changes (the fuzzer's write token is restricted
/// to the other tables); the node answers /v1/health every <see cref="HealthEvery"/> inputs and at the end.
/// </summary>
public sealed class HttpApiFuzzTests(ITestOutputHelper output)
{
    private const int HealthEvery = 500;
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Generated_requests_get_prompt_well_formed_answers_and_refused_ones_change_nothing()
    {
        await using var node = await FuzzNode.StartAsync(replication: false);
        var findings = new FuzzFindings("http-api");
        var gen = HttpInputs.Requests();
        var writes = Channel.CreateBounded<(int Index, HttpInput Input)>(256);
        var reads = Channel.CreateBounded<(int Index, HttpInput Input)>(256);
        var writeLane = Task.Run(() => RunTransactionsAsync(node, writes.Reader, findings));
        var readLanes = Enumerable.Range(0, Math.Max(1, FuzzSettings.Clients - 1)).Select(_ => Task.Run(() => RunReadsAsync(node, reads.Reader, findings))).ToArray();
        try
        {
            // Generating an input costs about as much as answering it: two threads make them, in order.
            var generated = Enumerable.Range(FuzzSettings.First, FuzzSettings.Inputs(800)).AsParallel().AsOrdered().WithDegreeOfParallelism(2).Select(i => (Index: i, Input: FuzzSettings.Generate(gen, i)));
            foreach (var (i, input) in generated)
            {
                if (findings.TooMany)
                {
                    break;
                }

                await (input.Shape == "transactions" ? writes : reads).Writer.WriteAsync((i, input));
                if (i % HealthEvery == HealthEvery - 1 && !await node.HealthyAsync())
                {
                    findings.Crash(i, "the node stopped answering /v1/health", input.ToString());
                    break;
                }
            }
        }
        finally
        {
            writes.Writer.TryComplete();
            reads.Writer.TryComplete();
            await Task.WhenAll([writeLane, .. readLanes]);
        }

        Assert.True(await node.HealthyAsync(), "the node is healthy after the campaign");
        Assert.Equal(FuzzNode.SeededGuardRows, node.GuardRows());
        Assert.Equal("'ok'", node.IntegrityCheck());
        foreach (var error in node.Errors.Entries.Take(20))
        {
            findings.Crash(-1, "error logged: " + error, string.Empty);
        }

        findings.AssertClean(output);
    }

    /// <summary>The one lane that writes: transactions in input order, each checked against the database.</summary>
    private static async Task RunTransactionsAsync(FuzzNode node, ChannelReader<(int Index, HttpInput Input)> inputs, FuzzFindings findings)
    {
        using var lane = new Lane(node.ApiAddress);
        var digest = node.Fingerprint();
        var version = node.DataVersion();
        var recent = new Queue<string>();
        await foreach (var (i, input) in inputs.ReadAllAsync())
        {
            var result = await RunAsync(lane, i, input, findings);
            recent.Enqueue($"{i} -> {result.Status}: {input.ToString()[..Math.Min(input.ToString().Length, 300)]}");
            if (recent.Count > 12)
            {
                recent.Dequeue();
            }

            // data_version moves exactly when something committed; only then is the digest worth taking.
            var checking = Stopwatch.StartNew();
            var nowVersion = node.DataVersion();
            findings.Spent("data_version", checking.Elapsed);
            if (nowVersion == version)
            {
                continue;
            }

            version = nowVersion;
            checking.Restart();
            var now = node.Fingerprint();
            findings.Spent("fingerprint", checking.Elapsed);
            if (result.Status != 200 && now != digest)
            {
                findings.Crash(i, $"a refused transaction ({result.Status}) changed the database: {FuzzNode.ChangedTables(digest, now)}", input + "\n    recent transactions:\n      " + string.Join("\n      ", recent));
            }

            digest = now;
        }
    }

    private static async Task RunReadsAsync(FuzzNode node, ChannelReader<(int Index, HttpInput Input)> inputs, FuzzFindings findings)
    {
        using var lane = new Lane(node.ApiAddress);
        await foreach (var (i, input) in inputs.ReadAllAsync())
        {
            await RunAsync(lane, i, input, findings);
        }
    }

    private static async Task<Result> RunAsync(Lane lane, int i, HttpInput input, FuzzFindings findings)
    {
        findings.Input();
        FuzzSettings.Trace("http-api", i, input);
        var took = Stopwatch.StartNew();
        var result = await SendAsync(lane.Client, input);
        if (result.ConnectionFailed)
        {
            // A keep-alive connection the server closed after its previous answer (a 413 sent before
            // the body was read closes it) can fail the next request before a byte of it is read; the
            // same input on a fresh connection tells that apart from an input that breaks connections.
            lane.Renew();
            findings.Outcome($"{input.Shape} connection failed, retried on a new connection");
            result = await SendAsync(lane.Client, input);
        }

        findings.Took(i, took.Elapsed, $"{input.Shape} {result.Status}");
        findings.Outcome($"{input.Shape} {result.Status}");
        if (result.Hung)
        {
            findings.Hang(i, result.Problem ?? "no answer", input.ToString());
        }
        else if (result.Problem is { } problem)
        {
            findings.Crash(i, problem, input.ToString());
        }

        return result;
    }

    /// <summary>One client lane: its own connection pool, renewed after a connection failure.</summary>
    private sealed class Lane(Uri address) : IDisposable
    {
        public HttpClient Client { get; private set; } = Create(address);

        public void Renew()
        {
            Client.Dispose();
            Client = Create(address);
        }

        public void Dispose() => Client.Dispose();

        private static HttpClient Create(Uri address) =>
            new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    private sealed record Result(int Status, bool Hung, string? Problem, bool ConnectionFailed = false);

    private static async Task<Result> SendAsync(HttpClient http, HttpInput input)
    {
        using var request = new HttpRequestMessage(new HttpMethod(input.Method), new Uri(input.Path.TrimStart('/'), UriKind.Relative));
        if (input.Token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + input.Token);
        }

        if (input.Body is not null)
        {
            request.Content = new ByteArrayContent(input.Body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var deadline = new CancellationTokenSource(AnswerDeadline);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            return new Result(0, true, "no response headers within " + AnswerDeadline);
        }
        catch (HttpRequestException e)
        {
            return new Result(0, false, "connection failed: " + e.Message + (e.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty), ConnectionFailed: true);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            try
            {
                return new Result(status, false, await CheckAsync(input, response, deadline.Token));
            }
            catch (OperationCanceledException)
            {
                return new Result(status, true, $"{status} but the body did not end within {AnswerDeadline}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return new Result(status, false, $"{status} and the body broke off: {e.Message}");
            }
        }
    }

    /// <summary>What is wrong with an answer, or null; reads the body (of a live stream, up to its end of query).</summary>
    private static async Task<string?> CheckAsync(HttpInput input, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status == 200 && input.Shape is "queries" or "subscribe" or "attach")
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            return await CheckStreamAsync(stream, live: input.Shape != "queries", ct);
        }

        if (status == 200 && input.Shape == "updates")
        {
            return null; // a live stream of notifications that starts empty
        }

        var body = await response.Content.ReadAsStringAsync(ct);
        if (status >= 500)
        {
            return $"{status}: {body}";
        }

        if (input.Method == "HEAD" || status < 400)
        {
            return null;
        }

        if (status == 400 && body.Length == 0 && input.Path.Contains("%00", StringComparison.Ordinal))
        {
            // Kestrel itself refuses a NUL in the decoded path before any application code runs.
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String && error.GetString()!.Length > 0
                ? null
                : $"{status} without an {{\"error\"}}: {body}";
        }
        catch (JsonException)
        {
            return $"{status} with a body that is not JSON: {body}";
        }
    }

    /// <summary>
    /// An NDJSON answer, line by line as it arrives: every line JSON; a query ends with eoq or an error
    /// line; a live query is read up to its eoq, error or first change. Lines are validated on their
    /// bytes, so an endless query's million rows cost the fuzzer little.
    /// </summary>
    private static async Task<string?> CheckStreamAsync(Stream stream, bool live, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var scanned = 0;
        var last = Array.Empty<byte>();
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            var start = 0;
            filled += n;
            for (var end = Array.IndexOf(buffer, (byte)'\n', scanned, filled - scanned); end >= 0 || (n == 0 && start < filled); end = Array.IndexOf(buffer, (byte)'\n', start, filled - start))
            {
                var line = buffer.AsSpan(start, (end >= 0 ? end : filled) - start).TrimEnd((byte)'\r');
                start = end >= 0 ? end + 1 : filled;
                if (line.IsEmpty)
                {
                    continue;
                }

                if (!IsJson(line))
                {
                    return "a stream line is not JSON: " + Encoding.UTF8.GetString(line[..Math.Min(line.Length, 2000)]);
                }

                last = line[..Math.Min(line.Length, 16)].ToArray();
                if (live && (last.AsSpan().StartsWith("{\"eoq\""u8) || last.AsSpan().StartsWith("{\"error\""u8) || last.AsSpan().StartsWith("{\"change\""u8)))
                {
                    return null;
                }

                if (end < 0)
                {
                    break;
                }
            }

            buffer.AsSpan(start, filled - start).CopyTo(buffer);
            filled -= start;
            scanned = filled;
            if (n == 0)
            {
                break;
            }
        }

        return live || last.AsSpan().StartsWith("{\"eoq\""u8) || last.AsSpan().StartsWith("{\"error\""u8)
            ? null
            : "a query stream did not end with eoq or an error line";
    }

    private static bool IsJson(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
