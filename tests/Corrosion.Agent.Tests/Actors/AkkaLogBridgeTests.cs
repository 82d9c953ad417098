using Akka.Actor;
using Akka.Event;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Corrosion.Agent.Tests.Actors;

/// <summary>Akka's own log lines reach the node's logging (Microsoft.Extensions.Logging) in the node's shape.</summary>
public sealed class AkkaLogBridgeTests : IAsyncDisposable
{
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _factory;
    private readonly ActorSystem _system;

    public AkkaLogBridgeTests()
    {
        _factory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug));
        _system = NodeActorSystem.Create("log-bridge", _factory);
    }

    [Fact]
    public async Task A_line_logged_through_akka_has_the_logging_class_as_category_and_the_actor_as_source()
    {
        _system.ActorOf(Props.Create(() => new Talker()), "talker").Tell("sda");

        var entry = await WaitForAsync(e => e.Message.Contains("disk sda is slow", StringComparison.Ordinal));

        Assert.Equal(typeof(Talker).FullName, entry.Category);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("akka://log-bridge/user/talker: disk sda is slow", entry.Message);
    }

    [Fact]
    public async Task An_error_carries_its_exception_once_not_in_the_text()
    {
        _system.ActorOf(Props.Create(() => new Talker()), "failing").Tell(42);

        var entry = await WaitForAsync(e => e.Message.Contains("write failed", StringComparison.Ordinal));

        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.IsType<IOException>(entry.Exception);
        Assert.DoesNotContain("Cause:", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("[ERROR]", entry.Message, StringComparison.Ordinal);
    }

    private async Task<CapturingLoggerProvider.LogEntry> WaitForAsync(Func<CapturingLoggerProvider.LogEntry, bool> match)
    {
        CapturingLoggerProvider.LogEntry? found = null;
        await Wait.UntilAsync(() => (found = _logs.Entries.FirstOrDefault(match)) is not null, "the log line", TimeSpan.FromSeconds(20));
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        await _system.Terminate();
        _factory.Dispose();
    }

    private sealed class Talker : ReceiveActor
    {
        public Talker()
        {
            var log = Context.GetLogger();
            Receive<string>(disk => log.Warning("disk {0} is slow", disk));
            Receive<int>(_ => log.Error(new IOException("disk full"), "write failed"));
        }
    }
}
