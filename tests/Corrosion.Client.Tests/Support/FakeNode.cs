using System.Collections.Concurrent;
using System.Text.Json;
using Corrosion.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Corrosion.Client.Tests.Support;

/// <summary>
/// A fake node on the ASP.NET test server: each test maps the routes it needs and speaks the wire
/// format itself, so it can drop streams, refuse, or misbehave on purpose.
/// </summary>
public sealed class FakeNode : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeNode(WebApplication app) => _app = app;

    /// <summary>Every request, as "METHOD /path?query", in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public TestServer Server => _app.GetTestServer();

    public static async Task<FakeNode> StartAsync(Action<WebApplication> routes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        var node = new FakeNode(app);
        app.Use(async (context, next) =>
        {
            node.Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            await next(context);
        });
        routes(app);
        await app.StartAsync();
        return node;
    }

    /// <summary>A client of this node; <paramref name="handler"/> may wrap the test server's handler (to fail connections).</summary>
    public CorrosionClient Client(RetryPolicy? retry = null, Func<HttpMessageHandler, HttpMessageHandler>? handler = null)
    {
        var inner = Server.CreateHandler();
        var http = new HttpClient(handler is null ? inner : handler(inner)) { BaseAddress = new Uri("http://fake/"), Timeout = Timeout.InfiniteTimeSpan };
        return new CorrosionClient(http) { ReadRetry = retry ?? Fast };
    }

    /// <summary>Retries with tiny delays, so tests that retry stay fast.</summary>
    public static RetryPolicy Fast { get; } = new() { MaxAttempts = 5, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) };

    public int Count(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Writes one NDJSON line and flushes it to the client.</summary>
    public static async Task WriteLineAsync(HttpResponse response, object line)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(line);
        await response.Body.WriteAsync(bytes);
        await response.Body.WriteAsync("\n"u8.ToArray());
        await response.Body.FlushAsync();
    }

    /// <summary>Answers with a status and a JSON body.</summary>
    public static async Task RefuseAsync(HttpResponse response, int status, object body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body));
    }

    /// <summary>Keeps a response open until the client goes away.</summary>
    public static async Task HoldAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
