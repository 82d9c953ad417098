using System.Net;
using Corrosion.Agent.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
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
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        if (configureWebHost is null)
        {
            if (!EndpointText.TryParse(api.Options.Api.Addr, out var endPoint))
            {
                throw new InvalidOperationException($"configuration key api.addr: \"{api.Options.Api.Addr}\" is not host:port");
            }

            builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            {
                k.Listen(endPoint);
                k.Limits.MaxRequestBodySize = api.Options.Api.MaxBodySize.Bytes + 1;
                k.AddServerHeader = false;
            });
        }
        else
        {
            configureWebHost(builder.WebHost);
        }

        var app = builder.Build();
        var auth = new BearerAuthorization(api.Options.Api.Authz.BearerTokens);
        var log = loggerFactory.CreateLogger("Corrosion.Agent.Api");
        app.Use(async (http, next) =>
        {
            if (!auth.Allows(http.Request))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                await ApiResponses.WriteErrorAsync(http, StatusCodes.Status401Unauthorized, "a valid bearer token is required (Authorization: Bearer <token>)");
                return;
            }

            try
            {
                await next(http);
            }
            catch (ApiInputException e)
            {
                await ApiResponses.WriteErrorAsync(http, StatusCodes.Status400BadRequest, e.Message);
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
        });

        Map(app, "POST", "/v1/transactions", http => TransactionsEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/queries", http => QueriesEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/health", http => HealthEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/table_stats", http => TableStatsEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/members", http => MembersEndpoint.HandleAsync(http, api));
        Map(app, "GET", "/v1/sync/state", http => SyncStateEndpoint.HandleAsync(http, api));
        Map(app, "POST", "/v1/subscriptions", http => SubscriptionsEndpoint.SubscribeAsync(http, api));
        Map(app, "GET", "/v1/subscriptions/{id}", http => SubscriptionsEndpoint.AttachAsync(http, api));
        Map(app, "POST", "/v1/updates/{table}", http => UpdatesEndpoint.HandleAsync(http, api));
        app.MapFallback(http => ApiResponses.WriteErrorAsync(http, StatusCodes.Status404NotFound, $"no endpoint {http.Request.Method} {http.Request.Path}"));
        return app;
    }

    /// <summary>Maps one route; a wrong method on a known path gets 405 with a JSON error.</summary>
    public static void Map(IEndpointRouteBuilder app, string method, string pattern, RequestDelegate handler)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMethods(pattern, [method], handler);
        app.MapMethods(pattern, ["GET", "POST", "PUT", "DELETE", "PATCH"], http =>
            ApiResponses.WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, $"{pattern} accepts {method} only"))
            .WithOrder(1);
    }

    /// <summary>The address Kestrel bound (useful with port 0).</summary>
    public static Uri BoundAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>();
        var first = addresses?.Addresses.FirstOrDefault() ?? throw new InvalidOperationException("the API is not listening");
        return new Uri(first.Replace("[::]", IPAddress.Loopback.ToString(), StringComparison.Ordinal));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception error);
}
