using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Api;

/// <summary>
/// The API host's logger factory: the node's, except that ASP.NET Core's per-request hosting diagnostics
/// (<c>Microsoft.AspNetCore.Hosting.Diagnostics</c>) count as enabled only while that category logs at
/// <c>information</c> or below, the levels of everything it writes per request.
/// </summary>
/// <remarks>
/// The hosting layer takes "enabled at critical" to mean that someone reads its logs: it then starts an
/// <see cref="System.Diagnostics.Activity"/> and pushes a logging scope for every request, ~2.5 µs of a ~70 µs
/// transaction (bench/RESULTS.md, "HTTP transactions/s, session 12"), although with the agent's filter
/// (<c>Microsoft=warning</c>) none of its request lines is written. Tracing is unaffected: with OTLP on, its listener
/// still has the hosting layer start each request's activity. Disposing this leaves the node's factory alone.
/// </remarks>
internal sealed class ApiLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>The hosting layer's per-request category.</summary>
    internal const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == HostingDiagnostics ? new WhenInformationEnabled(logger) : logger;
    }

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <inheritdoc />
    public void Dispose()
    {
        // The node owns the factory it was given.
    }

    /// <summary>A logger enabled at a level only while its category also logs at information.</summary>
    private sealed class WhenInformationEnabled(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(LogLevel.Information) && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
