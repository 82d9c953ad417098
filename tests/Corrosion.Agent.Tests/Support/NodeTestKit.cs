using Akka.Configuration;
using Corrosion.Agent.Node;
using Xunit.Abstractions;

namespace Corrosion.Agent.Tests.Support;

/// <summary>
/// Akka's xunit test kit over the node's Akka settings (reference.conf's <c>akka</c> section: the
/// node's mailboxes), with the test kit's own logger so <c>EventFilter</c> works, plus a few small
/// mailboxes for overflow tests. <see cref="VirtualTime"/> runs timers on Akka's <c>TestScheduler</c>.
/// </summary>
public abstract class NodeTestKit : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A drop-newest mailbox of two messages.</summary>
    public const string TinyDropNewest = "test-mailboxes.tiny-drop-newest";

    /// <summary>A drop-oldest mailbox of two messages.</summary>
    public const string TinyDropOldest = "test-mailboxes.tiny-drop-oldest";

    /// <summary>A waiting mailbox of two messages whose senders wait up to 300 ms.</summary>
    public const string TinyWaiting = "test-mailboxes.tiny-waiting";

    private const string Extra = """
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit"]
        akka.loglevel = WARNING
        test-mailboxes {
          tiny-drop-newest { mailbox-type = "Corrosion.Agent.Actors.DropNewestMailbox, Corrosion.Agent", mailbox-capacity = 2 }
          tiny-drop-oldest { mailbox-type = "Corrosion.Agent.Actors.DropOldestMailbox, Corrosion.Agent", mailbox-capacity = 2 }
          tiny-waiting { mailbox-type = "Corrosion.Agent.Actors.WaitingMailbox, Corrosion.Agent", mailbox-capacity = 2, mailbox-push-timeout-time = 300ms }
        }
        """;

    /// <summary>Timers on Akka's TestScheduler: they fire only when the test advances it.</summary>
    public static readonly Config VirtualTime =
        ConfigurationFactory.ParseString("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"");

    protected NodeTestKit(ITestOutputHelper? output = null, Config? config = null)
        : base(Settings(config), UniqueName(), output)
    {
    }

    /// <summary>The node's Akka settings with the test kit's logger and the test mailboxes, over <paramref name="config"/>.</summary>
    public static Config Settings(Config? config = null)
    {
        var settings = ConfigurationFactory.ParseString(Extra).WithFallback(AkkaSettings.Reference);
        return config is null ? settings : config.WithFallback(settings);
    }

    // Metrics are tagged with the system's name: unique names keep parallel test classes apart.
    private static string UniqueName() => "test-" + Guid.NewGuid().ToString("N")[..12];
}
