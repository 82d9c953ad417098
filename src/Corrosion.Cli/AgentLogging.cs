using System.Diagnostics.CodeAnalysis;
using Corrosion.Agent.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Corrosion.Cli;

/// <summary>
/// The agent's logging: the simple console formatter on one line, UTC timestamps, filtered by <see cref="LogLevels"/>;
/// what <c>LoggerFactory.Create(b => b.AddSimpleConsole(...))</c> makes, without its options machinery. That container
/// resolves a dozen <c>IOptionsMonitor&lt;T&gt;</c>, <c>OptionsFactory&lt;T&gt;</c> and <c>IEnumerable&lt;IConfigureOptions&lt;T&gt;&gt;</c>
/// from open generic registrations, and a NativeAOT executable builds each of those types at run time
/// (~7 % of a native agent's start-up CPU: bench/RESULTS.md, "Start time, session 11"). Here every options
/// object is given as it is, registered under its closed type, so nothing is closed at run time.
/// </summary>
internal sealed class AgentLogging : IDisposable
{
    private readonly ServiceProvider _services;

    private AgentLogging(ServiceProvider services, LoggerFactory factory)
    {
        _services = services;
        Factory = factory;
    }

    /// <summary>The logger factory (disposed with this).</summary>
    public ILoggerFactory Factory { get; }

    /// <summary>Console logging filtered by <paramref name="levels"/> (which <c>corrosion log set</c> changes while the node runs).</summary>
    public static AgentLogging Create(LogLevels levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        // AddSimpleConsole registers the console provider and its formatters (the simple one is internal to the
        // library); their options are then given here as fixed values, so the options pipeline is never built.
        var services = new ServiceCollection();
        new Builder(services).AddSimpleConsole();
        services.AddSingleton<IOptionsMonitor<ConsoleLoggerOptions>>(new FixedOptions<ConsoleLoggerOptions>(new ConsoleLoggerOptions
        {
            FormatterName = ConsoleFormatterNames.Simple,
        }));
        services.AddSingleton<IOptionsMonitor<SimpleConsoleFormatterOptions>>(new FixedOptions<SimpleConsoleFormatterOptions>(new SimpleConsoleFormatterOptions
        {
            SingleLine = true,
            TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ",
            UseUtcTimestamp = true,
        }));
        services.AddSingleton<IOptionsMonitor<JsonConsoleFormatterOptions>>(new FixedOptions<JsonConsoleFormatterOptions>(new JsonConsoleFormatterOptions()));
        services.AddSingleton<IOptionsMonitor<ConsoleFormatterOptions>>(new FixedOptions<ConsoleFormatterOptions>(new ConsoleFormatterOptions()));
        var provider = services.BuildServiceProvider();
        var filters = new LoggerFilterOptions { MinLevel = LogLevel.Trace };
        filters.Rules.Add(new LoggerFilterRule(null, null, null, (_, category, level) => levels.IsEnabled(category, level)));
        var factory = new LoggerFactory(provider.GetServices<ILoggerProvider>(), new FixedOptions<LoggerFilterOptions>(filters));
        return new AgentLogging(provider, factory);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // The factory does not dispose providers it was given; the container does (the console provider
        // writes out its queue when disposed).
        ((IDisposable)Factory).Dispose();
        _services.Dispose();
    }

    private sealed class Builder(IServiceCollection services) : ILoggingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    /// <summary>Options that never change.</summary>
    private sealed class FixedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue { get; } = value;

        public T Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
