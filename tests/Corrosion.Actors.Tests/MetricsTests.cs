using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class MetricsTests
{
    /// <summary>Records the kernel's measurements of one system (other tests' systems report on the same meter name).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<(string Instrument, long Value, string? Path)> measurements = new();

        public Recorder(string systemName)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ActorSystem.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
            listener.Start();

            void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
            {
                string? system = null;
                string? path = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "actor.system")
                    {
                        system = tag.Value as string;
                    }
                    else if (tag.Key == "actor.path")
                    {
                        path = tag.Value as string;
                    }
                }

                if (system == systemName)
                {
                    measurements.Enqueue((instrument.Name, value, path));
                }
            }
        }

        public long Sum(string instrument, string path) =>
            measurements.Where(m => m.Instrument == instrument && m.Path == path).Sum(m => m.Value);

        public long LastGauge(string instrument, string path)
        {
            listener.RecordObservableInstruments();
            return measurements.Where(m => m.Instrument == instrument && m.Path == path).Select(m => m.Value).LastOrDefault(-1);
        }

        public void Dispose() => listener.Dispose();
    }

    [Fact]
    public async Task The_kernel_reports_processed_dropped_dead_letters_restarts_and_mailbox_depth()
    {
        var system = Kit.System(guardian: Kit.RestartAtOnce);
        await using var _ = system;
        using var recorder = new Recorder(system.Name);
        var probe = system.CreateTestProbe<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn(
            new Script<string>
            {
                PreStart = a => { probe.Ref.Tell($"start:{a.Incarnation}"); return ValueTask.CompletedTask; },
                Receive = async (a, m) =>
                {
                    probe.Ref.Tell(m);
                    switch (m)
                    {
                        case "block":
                            await gate.Task;
                            break;
                        case "boom":
                            throw new TestFailure(m);
                        case "stop":
                            a.Ctx.Stop(a.Ctx.Self);
                            break;
                    }
                },
            }.Factory(),
            "measured",
            new MailboxOptions(3, MailboxFullMode.DropNewest));
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("block");
        probe.ExpectMessage(m => m == "block");
        actor.Tell("a");
        actor.Tell("boom");
        actor.Tell("b");
        actor.Tell("dropped");
        Assert.Equal(3, recorder.LastGauge("corrosion.actors.mailbox.depth", actor.Path));
        gate.SetResult();
        probe.FishForMessage(m => m == "b", Kit.Deadline);
        actor.Tell("stop");
        await Kit.Terminated(actor);
        actor.Tell("dead");

        Assert.Equal(1, recorder.Sum("corrosion.actors.messages.dropped", actor.Path));
        Assert.Equal(1, recorder.Sum("corrosion.actors.restarts", actor.Path));
        Assert.Equal(1, recorder.Sum("corrosion.actors.dead_letters", actor.Path));
        // block, a, b and stop completed; boom failed and is not counted as processed.
        Assert.Equal(4, recorder.Sum("corrosion.actors.messages.processed", actor.Path));
    }
}
