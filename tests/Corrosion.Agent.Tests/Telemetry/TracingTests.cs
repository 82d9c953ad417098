using System.Diagnostics;
using System.Net;
using System.Text;
using Corrosion.Agent.Node;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Corrosion.Agent.Tests.Telemetry;

public sealed class TracingTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_transaction_makes_the_span_tree_http_transaction_commit_broadcast()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(CorrosionTelemetry.ActivitySourceName)
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var node = await TestNode.StartAsync(schema: Schema);
        // Gossip subscribes to the writer's events as it starts: a first write, once gossip has it, shows it listens.
        using (var warmUp = new StringContent("[\"INSERT INTO items (id, name) VALUES (0, 'w')\"]", Encoding.UTF8, "application/json"))
        {
            using var warmed = await node.Http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), warmUp);
            Assert.Equal(HttpStatusCode.OK, warmed.StatusCode);
        }

        await Wait.UntilAsync(() => node.Node.Telemetry.PendingBroadcasts > 0, "gossip to take the first commit", Deadline);
        // The caller's trace context (W3C traceparent): every span of this request is in this trace.
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/transactions", UriKind.Relative))
        {
            Content = new StringContent("[\"INSERT INTO items (id, name) VALUES (1, 'x')\"]", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");


        using var response = await node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        List<Activity> ours = [];
        await Wait.UntilAsync(() =>
        {
            lock (spans)
            {
                ours = spans.Where(s => s.TraceId == traceId).ToList();
            }

            // The server span ends after the response is written, so it may be exported after the client has the response.
            return ours.Any(s => s.OperationName == "corrosion.broadcast") && ours.Any(s => s.Kind == ActivityKind.Server);
        }, "the broadcast and HTTP server spans of the request's trace", Deadline);

        var http = Assert.Single(ours, s => s.Kind == ActivityKind.Server);
        var transaction = Assert.Single(ours, s => s.OperationName == "corrosion.transaction");
        var commit = Assert.Single(ours, s => s.OperationName == "corrosion.storage.commit");
        var broadcast = Assert.Single(ours, s => s.OperationName == "corrosion.broadcast");
        Assert.Equal(callerSpan, http.ParentSpanId);
        Assert.Equal(http.SpanId, transaction.ParentSpanId);
        Assert.Equal(transaction.SpanId, commit.ParentSpanId);
        Assert.Equal(commit.SpanId, broadcast.ParentSpanId);
        Assert.Equal(2L, commit.GetTagItem("corrosion.version"));
        Assert.Equal("/v1/transactions", http.GetTagItem("http.route"));
    }

    [Fact]
    public async Task A_failed_transaction_marks_its_span_as_an_error()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(CorrosionTelemetry.ActivitySourceName)
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var node = await TestNode.StartAsync(schema: Schema);
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/transactions", UriKind.Relative))
        {
            Content = new StringContent("[\"INSERT INTO nowhere VALUES (1)\"]", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await node.Http.SendAsync(request);
        Activity? transaction = null;
        await Wait.UntilAsync(() =>
        {
            lock (spans)
            {
                transaction = spans.FirstOrDefault(s => s.TraceId == traceId && s.OperationName == "corrosion.transaction");
            }

            return transaction is not null;
        }, "the transaction span of the request's trace", Deadline);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ActivityStatusCode.Error, transaction!.Status);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_node_exports_its_spans_to_the_collector()
    {
        // A stand-in collector: OTLP over HTTP is a POST of protobuf to /v1/traces.
        var port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new TaskCompletionSource<(string Path, string? ContentType, byte[] Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                var context = await collector.GetContextAsync();
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                received.TrySetResult((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        using var dir = new TempDirectory();
        var schema = dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, Schema);
        var options = new NodeOptions();
        options.Db.Path = dir.File("node.db");
        options.Db.SchemaPaths.Add(schema);
        options.Api.Addr = "127.0.0.1:0";
        options.EnableReplication = false;
        options.Telemetry = new TelemetryOptions { Otlp = new OtlpOptions { Endpoint = $"http://127.0.0.1:{port}", Protocol = "http/protobuf", ServiceName = "corrosion-test" } };
        var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        try
        {
            using var http = new HttpClient();
            using var body = new StringContent("[\"INSERT INTO items (id, name) VALUES (1, 'x')\"]", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(node.ApiAddress, "/v1/transactions"), body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            // Stopping the node flushes the batch of spans.
            await node.DisposeAsync();
        }

        var (path, contentType, payload) = await received.Task.WaitAsync(Deadline);
        Assert.Equal("/v1/traces", path);
        Assert.Equal("application/x-protobuf", contentType);
        var text = Encoding.UTF8.GetString(payload);
        Assert.Contains("corrosion.transaction", text, StringComparison.Ordinal);
        Assert.Contains("corrosion-test", text, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
