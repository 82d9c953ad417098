using Corrosion.Agent.Replication.Admission;

namespace Corrosion.Agent.Tests.Replication.Admission;

public sealed class WriteAdmissionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public void An_open_gate_lets_a_write_through_at_once()
    {
        var gate = new WriteAdmission(TimeSpan.FromMinutes(1));

        Assert.True(gate.WaitAsync().AsTask().IsCompletedSuccessfully);
        Assert.Equal(0, gate.Counters.Delayed);
    }

    [Fact]
    public async Task A_closed_gate_holds_writes_until_it_opens()
    {
        var gate = new WriteAdmission(TimeSpan.FromMinutes(1));
        gate.Close();
        var first = gate.WaitAsync().AsTask();
        var second = gate.WaitAsync().AsTask();

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        gate.Open();
        await Task.WhenAll(first, second).WaitAsync(Deadline);
        Assert.Equal((2L, 0L), (gate.Counters.Delayed, gate.Counters.TimedOut));
        Assert.True(gate.WaitAsync().AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_write_waits_at_most_the_max_wait_and_then_goes()
    {
        var gate = new WriteAdmission(TimeSpan.FromMilliseconds(50));
        gate.Close();

        await gate.WaitAsync().AsTask().WaitAsync(Deadline);

        Assert.False(gate.IsOpen);
        Assert.Equal((1L, 1L), (gate.Counters.Delayed, gate.Counters.TimedOut));
        Assert.True(gate.Counters.Waited >= TimeSpan.FromMilliseconds(40), $"waited {gate.Counters.Waited}");
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting()
    {
        var gate = new WriteAdmission(TimeSpan.FromMinutes(1));
        gate.Close();
        using var cancel = new CancellationTokenSource();
        var waiting = gate.WaitAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline));
    }
}
