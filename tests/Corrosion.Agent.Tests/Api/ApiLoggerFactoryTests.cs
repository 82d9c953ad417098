using Corrosion.Agent.Api;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// The API host's logger factory: ASP.NET Core's per-request hosting diagnostics count as enabled only while
/// their category logs at information (else the hosting layer starts an activity and a logging scope per request
/// that nobody reads); every other category is the node's logger as it is.
/// </summary>
public sealed class ApiLoggerFactoryTests
{
    [Fact]
    public void Hosting_diagnostics_at_warning_are_off_at_every_level()
    {
        using var node = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddFilter("Microsoft", LogLevel.Warning).AddProvider(new NullProvider()));
        using var api = new ApiLoggerFactory(node);

        var hosting = api.CreateLogger(ApiLoggerFactory.HostingDiagnostics);

        // The hosting layer asks at critical whether to start its per-request activity and scope.
        Assert.False(hosting.IsEnabled(LogLevel.Critical));
        Assert.False(hosting.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void Hosting_diagnostics_at_information_log_as_the_node_says()
    {
        using var node = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddFilter("Microsoft", LogLevel.Information).AddProvider(new NullProvider()));
        using var api = new ApiLoggerFactory(node);

        var hosting = api.CreateLogger(ApiLoggerFactory.HostingDiagnostics);

        Assert.True(hosting.IsEnabled(LogLevel.Critical));
        Assert.True(hosting.IsEnabled(LogLevel.Information));
        Assert.False(hosting.IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public void Other_categories_keep_the_node_filter()
    {
        using var node = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddFilter("Microsoft", LogLevel.Warning).AddProvider(new NullProvider()));
        using var api = new ApiLoggerFactory(node);

        var kestrel = api.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        Assert.True(kestrel.IsEnabled(LogLevel.Critical));
        Assert.True(kestrel.IsEnabled(LogLevel.Warning));
        Assert.False(kestrel.IsEnabled(LogLevel.Information));
    }

    /// <summary>A provider whose loggers take every level: what is enabled is the factory's filter's say.</summary>
    private sealed class NullProvider : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }

        public void Dispose()
        {
        }
    }
}
