using System.Net;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Api;

/// <summary>The HTTP facade: Corrosion's JSON API over Kestrel (or a test server).</summary>
public static partial class ApiHost
{
    /// <summary>Builds the web application; start it with <c>StartAsync</c>.</summary>
    /// <param name="api">What the endpoints need.</param>
    /// <param name="loggerFactory">Logging for the host.</param>
    /// <param name="configureWebHost">Replaces Kestrel (tests pass <c>UseTestServer</c>); null listens on <c>api.addr</c>.</param>
    public static WebApplication Build(ApiContext api, ILoggerFactory loggerFactory, Action<IWebHostBuilder>? configureWebHost = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "corrosion" });
        // Kestrel and the hosting layer log through this factory; the per-request hosting diagnostics only when someone
        // reads them (ApiLoggerFactory says why).
        builder.Services.AddSingleton<ILoggerFactory>(new ApiLoggerFactory(loggerFactory));
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The node's owner stops the API (CorrosionNode.DisposeAsync; the agent on SIGTERM/SIGINT), not the console
        // lifetime the builder adds, which hooked SIGINT, SIGQUIT and SIGTERM in every process embedding a node and cost
        // its options at each start (bench/RESULTS.md, "Start time, session 11").
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, ApiHostLifetime>();
        builder.Services.AddRoutingCore();
        var telemetry = api.Options.Telemetry;
        TelemetryHosting.AddTelemetry(builder.Services, telemetry);
        var separateMetrics = telemetry.Prometheus.Enabled && telemetry.Prometheus.Addr.Length > 0;
        if (configureWebHost is null)
        {
            if (!EndpointText.TryParse(api.Options.Api.Addr, out var endPoint))
            {
                throw new InvalidOperationException($"configuration key api.addr: \"{api.Options.Api.Addr}\" is not host:port");
            }

            IPEndPoint? metricsEndPoint = null;
            if (separateMetrics && !EndpointText.TryParse(telemetry.Prometheus.Addr, out metricsEndPoint))
            {
                throw new InvalidOperationException($"configuration key telemetry.prometheus.addr: \"{telemetry.Prometheus.Addr}\" is not host:port");
            }

            var inline = api.Options.Api.InlineScheduling;
            builder.WebHost.UseKestrelCore().UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline).ConfigureKestrel(k =>
            {
                k.Listen(endPoint);
                if (metricsEndPoint is not null)
                {
                    // Connections of this listener are marked, so only /metrics answers there, without tokens.
                    k.Listen(metricsEndPoint, listen => listen.Use(next => connection =>
                    {
                        connection.Items[MetricsListenerKey] = true;
                        return next(connection);
                    }));
                }

                k.Limits.MaxRequestBodySize = api.Options.Api.MaxBodySize.Bytes + 1;

                // Slow clients (headers or a body dribbled in, a response never read) are cut off, so
                // they cannot hold connections, buffers and live queries for ever.
                k.Limits.RequestHeadersTimeout = api.Options.Api.RequestHeadersTimeout;
                var rate = api.Options.Api.MinDataRate.Bytes;
                k.Limits.MinRequestBodyDataRate = rate > 0 ? new MinDataRate(rate, api.Options.Api.MinDataRateGrace) : null;
                k.Limits.MinResponseDataRate = rate > 0 ? new MinDataRate(rate, api.Options.Api.MinDataRateGrace) : null;
                k.AddServerHeader = false;
            });
        }
        else
        {
            configureWebHost(builder.WebHost);
        }

        var app = builder.Build();
        var auth = TokenAuthorization.FromOptions(api.Options.Api.Authz);
        var access = new ApiAccess();
        var log = loggerFactory.CreateLogger("Corrosion.Agent.Api");
        if (separateMetrics)
        {
            app.Use(async (http, next) =>
            {
                var onMetricsListener = http.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.ContainsKey(MetricsListenerKey) == true;
                if (onMetricsListener != (http.Request.Path == TelemetryHosting.MetricsPath))
                {
                    // The metrics listener serves /metrics alone; the API listener leaves /metrics to it.
                    await ApiResponses.WriteErrorAsync(http, StatusCodes.Status404NotFound, onMetricsListener
                        ? $"this listener (telemetry.prometheus.addr) serves GET {TelemetryHosting.MetricsPath} only"
                        : $"{TelemetryHosting.MetricsPath} is served on telemetry.prometheus.addr ({telemetry.Prometheus.Addr})");
                    return;
                }

                await next(http);
            });
            TelemetryHosting.UseMetricsEndpoint(app, telemetry);
        }

        // Every request goes through routing, the write path too: serving POST /v1/transactions before it saved ~1.5 µs
        // of a ~70 µs request but left the request without its route (no http.route on its server span, and
        // http_server_request_duration_seconds without http_route), which TracingTests and MetricsEndpointTests check.
        app.UseRouting();
        app.Use((http, next) => ServeAsync(http, http.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope ?? ApiScope.Read, next, auth, log));

        if (!separateMetrics)
        {
            // After the token check: on api.addr, Prometheus needs a token of scope read when tokens are configured.
            TelemetryHosting.UseMetricsEndpoint(app, telemetry);
        }

        // The scope each endpoint needs (read < write < admin); the README's token table follows this list.
        Map(app, "POST", "/v1/transactions", ApiScope.Write, http => TransactionsEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/queries", ApiScope.Read, http => QueriesEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/health", ApiScope.Read, http => HealthEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/table_stats", ApiScope.Read, http => TableStatsEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/members", ApiScope.Admin, http => MembersEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/sync/state", ApiScope.Admin, http => SyncStateEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/subscriptions", ApiScope.Read, http => SubscriptionsEndpoint.SubscribeAsync(http, api, access));
        Map(app, "GET", "/v1/subscriptions/{id}", ApiScope.Read, http => SubscriptionsEndpoint.AttachAsync(http, api, access));
        Map(app, "POST", "/v1/updates/{table}", ApiScope.Read, http => UpdatesEndpoint.HandleAsync(http, api));
        app.MapFallback(http => ApiResponses.WriteErrorAsync(http, StatusCodes.Status404NotFound, $"no endpoint {http.Request.Method} {http.Request.Path}"));
        return app;
    }

    /// <summary>
    /// Serves a request whose token has <paramref name="needed"/> scope (or above) with <paramref name="next"/>: 401 or
    /// 403 otherwise; the API's errors become their JSON answers.
    /// </summary>
    private static async Task ServeAsync(HttpContext http, ApiScope needed, RequestDelegate next, TokenAuthorization auth, ILogger log)
    {
        var caller = auth.Authenticate(http.Request);
        if (caller is null)
        {
            LogRefused(log, http.Request.Method, http.Request.Path, "no valid bearer token");
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status401Unauthorized, TokenAuthorization.TokenRequiredMessage);
            return;
        }

        if (caller.Scope < needed)
        {
            LogRefused(log, http.Request.Method, http.Request.Path, $"token {caller.Name} has scope {caller.Scope}");
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status403Forbidden,
                $"token \"{caller.Name}\" has scope {ScopeName(caller.Scope)}; {http.Request.Method} {http.Request.Path} needs {ScopeName(needed)}");
            return;
        }

        ApiAccess.SetCaller(http, caller);
        try
        {
            await next(http);
        }
        catch (ApiInputException e)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (TableAccessException e)
        {
            LogRefused(log, http.Request.Method, http.Request.Path, e.Message);
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status403Forbidden, e.Message);
        }
        catch (BodyTooLargeException e)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            await ApiResponses.WriteErrorAsync(http, e.StatusCode, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(log, http.Request.Path, e);
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status500InternalServerError, $"internal error: {e.Message}");
        }
    }

    /// <summary>Maps one route that a token of <paramref name="scope"/> (or above) may call; a wrong method on a known path gets 405 with a JSON error.</summary>
    public static void Map(IEndpointRouteBuilder app, string method, string pattern, ApiScope scope, RequestDelegate handler)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMethods(pattern, [method], handler).WithMetadata(new RequiredScope(scope));
        app.MapMethods(pattern, ["GET", "POST", "PUT", "DELETE", "PATCH"], http =>
            ApiResponses.WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, $"{pattern} accepts {method} only"))
            .WithOrder(1);
    }

    private const string MetricsListenerKey = "corrosion.metrics-listener";

    /// <summary>The address of the separate metrics listener (<c>telemetry.prometheus.addr</c>), or null without one.</summary>
    public static Uri? MetricsAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>();
        var second = addresses?.Addresses.Skip(1).FirstOrDefault();
        return second is null ? null : new Uri(second.Replace("[::]", IPAddress.Loopback.ToString(), StringComparison.Ordinal));
    }

    /// <summary>The address Kestrel bound (useful with port 0).</summary>
    public static Uri BoundAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>();
        var first = addresses?.Addresses.FirstOrDefault() ?? throw new InvalidOperationException("the API is not listening");
        return new Uri(first.Replace("[::]", IPAddress.Loopback.ToString(), StringComparison.Ordinal));
    }

    private static string ScopeName(ApiScope scope) => scope.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Debug, Message = "refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception error);
}
