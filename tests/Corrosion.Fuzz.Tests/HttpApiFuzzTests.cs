using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// The HTTP API under generated requests (see <see cref="HttpInputs"/>), through Kestrel on a real
/// socket. Every answer comes within its deadline; no 5xx; every 4xx carries <c>{"error"}</c>; a
/// refused transaction changes nothing (the database's digest is compared); the guarded table never
/// changes (the fuzzer's write token is restricted to the other tables); the node is healthy at the end.
/// </summary>
public sealed class HttpApiFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Generated_requests_get_prompt_well_formed_answers_and_refused_ones_change_nothing()
    {
        await using var node = await FuzzNode.StartAsync(replication: false);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) }) { BaseAddress = node.ApiAddress, Timeout = Timeout.InfiniteTimeSpan };
        var findings = new FuzzFindings("http-api");
        var gen = HttpInputs.Requests();
        var digest = node.Fingerprint();
        var recent = new Queue<string>();
        for (var i = FuzzSettings.First; i < FuzzSettings.First + FuzzSettings.Inputs(800) && !findings.TooMany; i++)
        {
            var input = FuzzSettings.Generate(gen, i);
            findings.Input();
            FuzzSettings.Trace("http-api", i, input);
            var result = await SendAsync(http, input);
            findings.Outcome($"{input.Shape} {result.Status}");
            recent.Enqueue($"{i} -> {result.Status}: {input.ToString()[..Math.Min(input.ToString().Length, 300)]}");
            if (recent.Count > 12)
            {
                recent.Dequeue();
            }

            if (result.Hung)
            {
                findings.Hang(i, result.Problem ?? "no answer", input.ToString());
            }
            else if (result.Problem is { } problem)
            {
                findings.Crash(i, problem, input.ToString());
            }

            if (input.Shape == "transactions")
            {
                var now = node.Fingerprint();
                if (result.Status != 200 && now != digest)
                {
                    findings.Crash(i, $"a refused transaction ({result.Status}) changed the database: {FuzzNode.ChangedTables(digest, now)}", input + "\n    recent inputs:\n      " + string.Join("\n      ", recent));
                }

                digest = now;
            }

            if (i % 500 == 499 && !await node.HealthyAsync())
            {
                findings.Crash(i, "the node stopped answering /v1/health", input.ToString());
                break;
            }
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

    private sealed record Result(int Status, bool Hung, string? Problem);

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
            return new Result(0, false, "connection failed: " + e.Message);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var live = status == 200 && input.Shape is "subscribe" or "attach" or "updates";
            string body;
            try
            {
                body = await ReadAsync(response, live, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return new Result(status, true, $"{status} but the body did not end within {AnswerDeadline}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return new Result(status, false, $"{status} and the body broke off: {e.Message}");
            }

            return new Result(status, false, Check(input, status, body));
        }
    }

    /// <summary>Reads a whole answer; of a live stream, up to its end of query (or first line for updates).</summary>
    private static async Task<string> ReadAsync(HttpResponseMessage response, bool live, CancellationToken ct)
    {
        if (!live)
        {
            return await response.Content.ReadAsStringAsync(ct);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = new StringBuilder();
        if (response.RequestMessage!.RequestUri!.ToString().Contains("updates", StringComparison.Ordinal))
        {
            return text.ToString();
        }

        while (await reader.ReadLineAsync(ct) is { } line)
        {
            text.AppendLine(line);
            if (line.StartsWith("{\"eoq\"", StringComparison.Ordinal) || line.StartsWith("{\"error\"", StringComparison.Ordinal) || line.StartsWith("{\"change\"", StringComparison.Ordinal))
            {
                break;
            }
        }

        return text.ToString();
    }

    /// <summary>What is wrong with an answer, or null.</summary>
    private static string? Check(HttpInput input, int status, string body)
    {
        if (status >= 500)
        {
            return $"{status}: {body}";
        }

        if (input.Method == "HEAD")
        {
            return null;
        }

        if (status == 400 && body.Length == 0 && input.Path.Contains("%00", StringComparison.Ordinal))
        {
            // Kestrel itself refuses a NUL in the decoded path before any application code runs.
            return null;
        }

        if (status >= 400)
        {
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

        if (input.Shape is "queries" or "subscribe" or "attach")
        {
            // NDJSON: every line JSON; a query ends with eoq or an error line.
            var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var line in lines)
            {
                try
                {
                    using var _ = JsonDocument.Parse(line);
                }
                catch (JsonException)
                {
                    return $"a stream line is not JSON: {line}";
                }
            }

            if (input.Shape == "queries" && (lines.Length == 0 || !(lines[^1].StartsWith("{\"eoq\"", StringComparison.Ordinal) || lines[^1].StartsWith("{\"error\"", StringComparison.Ordinal))))
            {
                return "a query stream did not end with eoq or an error line";
            }
        }

        return null;
    }
}
