using System.Diagnostics.Metrics;

namespace Corrosion.Actors.Internal;

/// <summary>The kernel's instruments on the "Corrosion.Actors" meter, one meter instance per system.</summary>
internal sealed class ActorMetrics : IDisposable
{
    public const string MailboxDepth = "corrosion.actors.mailbox.depth";
    public const string MessagesProcessed = "corrosion.actors.messages.processed";
    public const string MessagesDropped = "corrosion.actors.messages.dropped";
    public const string Restarts = "corrosion.actors.restarts";
    public const string DeadLetters = "corrosion.actors.dead_letters";

    private readonly Meter meter;
    private readonly Counter<long> processed;
    private readonly Counter<long> dropped;
    private readonly Counter<long> restarts;
    private readonly Counter<long> deadLetters;

    public ActorMetrics(ActorSystem system)
    {
        meter = new Meter(ActorSystem.MeterName);
        processed = meter.CreateCounter<long>(MessagesProcessed, "{message}", "Messages handled by actors");
        dropped = meter.CreateCounter<long>(MessagesDropped, "{message}", "Messages dropped by full mailboxes");
        restarts = meter.CreateCounter<long>(Restarts, "{restart}", "Actor restarts by supervisors");
        deadLetters = meter.CreateCounter<long>(DeadLetters, "{message}", "Messages to stopped actors and late ask replies");
        meter.CreateObservableGauge(
            MailboxDepth,
            () => system.LiveCells.Select(c => new Measurement<int>(c.MailboxDepth, c.Tags)),
            "{message}",
            "Messages waiting in an actor's mailbox");
    }

    public void Processed(KeyValuePair<string, object?>[] tags) => processed.Add(1, tags);

    public void Dropped(KeyValuePair<string, object?>[] tags) => dropped.Add(1, tags);

    public void Restarted(KeyValuePair<string, object?>[] tags) => restarts.Add(1, tags);

    public void DeadLetter(KeyValuePair<string, object?>[] tags) => deadLetters.Add(1, tags);

    public void Dispose() => meter.Dispose();
}
