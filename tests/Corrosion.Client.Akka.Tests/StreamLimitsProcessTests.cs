using Akka.Actor;
using Corrosion.Client.Akka.Protocol;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>Flow control and clean-up of the gateway's streams, on an agent that serves one stream at a time.</summary>
public sealed class StreamLimitsProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));
    private AgentProcess _agent = null!;
    private ClientSystem _client = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_dir, """
            akka_api { max_streams = 1, window = 2, batch_rows = 1, ack_timeout = 2s }
            """);
        _client = ClientSystem.Start(_agent.AkkaAddress);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _agent.DisposeAsync();
    }

    [Fact]
    public async Task A_subscriber_that_stops_acknowledging_is_cut_off_and_told_to_resume()
    {
        var (subscriber, received) = _client.Recorder("stalled");
        await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "slow"), subscriber);
        var subscribed = await received.NextAsync<Subscribed>(Deadline);
        // Window 2: the end-of-query mark and one batch of changes, then nothing until an acknowledgement.
        await received.NextAsync<SubscriptionEndOfQuery>(Deadline);
        for (var i = 0; i < 4; i++)
        {
            await _client.Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"slow-{i}", "slow");
        }

        var error = await received.NextAsync<ClientError>(Deadline);

        Assert.Equal(ClientErrorCode.TooSlow, error.Code);
        Assert.Contains("resume", error.Message, StringComparison.Ordinal);
        // Told to resume, it resumes from what it saw and gets the rest: nothing was skipped.
        await using var resumed = await _client.Client.ResumeAsync(subscribed.QueryId, 1);
        var ids = new List<string>();
        using var cts = new CancellationTokenSource(Deadline);
        await foreach (var e in resumed.WithCancellation(cts.Token))
        {
            ids.Add(Assert.IsType<ChangeEvent>(e).Cells[0].Text!);
            if (ids.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["slow-1", "slow-2", "slow-3"], ids);
    }

    [Fact]
    public async Task A_subscriber_that_acknowledges_receives_every_change_one_batch_at_a_time()
    {
        var (subscriber, received) = _client.Recorder("acking");
        await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "acked"), subscriber);
        await received.NextAsync<Subscribed>(Deadline);
        for (var i = 0; i < 5; i++)
        {
            await _client.Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"acked-{i}", "acked");
        }

        var ids = new List<string>();
        using var cts = new CancellationTokenSource(Deadline);
        while (ids.Count < 5)
        {
            var (message, sender) = await received.ReadAsync(cts.Token);
            switch (message)
            {
                case SubscriptionEndOfQuery eoq:
                    sender.Tell(new StreamAck(eoq.Seq), subscriber);
                    break;
                case SubscriptionChanges changes:
                    Assert.Single(changes.Changes);
                    ids.AddRange(changes.Changes.Select(c => c.Cells[0].Text!));
                    sender.Tell(new StreamAck(changes.Seq), subscriber);
                    break;
                default:
                    Assert.Fail($"unexpected {message}");
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"acked-{i}"), ids);
    }

    [Fact]
    public async Task A_subscriber_that_dies_is_dropped_and_its_stream_freed()
    {
        var (first, firstReceived) = _client.Recorder("dies");
        await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines"), first);
        await firstReceived.NextAsync<Subscribed>(Deadline);
        // max_streams = 1: while the first stream lives, a second is refused.
        var (second, secondReceived) = _client.Recorder("waits");
        await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines"), second);
        Assert.Equal(ClientErrorCode.Unavailable, (await secondReceived.NextAsync<ClientError>(Deadline)).Code);

        await first.GracefulStop(Deadline);

        var accepted = await RetryAsync(async () =>
        {
            var (next, nextReceived) = _client.Recorder("after-" + Guid.NewGuid().ToString("N"));
            await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines"), next);
            var (message, _) = await nextReceived.ReadAsync();
            return message as Subscribed;
        });
        Assert.NotNull(accepted);
    }

    [Fact]
    public async Task A_client_system_that_goes_away_has_its_streams_freed()
    {
        await using (var doomed = ClientSystem.Start(_agent.AkkaAddress))
        {
            var (subscriber, received) = doomed.Recorder("doomed");
            await doomed.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines"), subscriber);
            await received.NextAsync<Subscribed>(Deadline);
        }

        // The node notices through death watch over Akka.Remote; then the one stream slot is free again.
        var accepted = await RetryAsync(async () =>
        {
            var (next, nextReceived) = _client.Recorder("after-" + Guid.NewGuid().ToString("N"));
            await _client.Client.SubscribeActorAsync(SqlStatement.Of("SELECT id FROM machines"), next);
            var (message, _) = await nextReceived.ReadAsync();
            return message as Subscribed;
        });
        Assert.NotNull(accepted);
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T?>> attempt)
        where T : class
    {
        var until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            if (await attempt() is { } done)
            {
                return done;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("condition not met in time");
    }
}
