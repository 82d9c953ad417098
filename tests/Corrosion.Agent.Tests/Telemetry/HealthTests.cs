using System.Net;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Corrosion.Agent.Tests.Telemetry;

public sealed class HealthTests
{
    private const string Schema = "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, v TEXT);";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>An NTP64-like hybrid logical clock value for a wall-clock time (as the store writes them).</summary>
    private static ulong Hlc(DateTimeOffset at)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return ((ulong)(ms / 1000) << 32) | (ulong)((ms % 1000) * 4294967296L / 1000);
    }

    [Fact]
    public async Task P99_lag_is_the_replication_lag_of_merged_versions_and_503_beyond_the_threshold()
    {
        await using var origin = await TestNode.StartAsync(schema: Schema);
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(origin.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)"]""");
        var changes = await origin.Node.Actors.Storage.Ask<IReadOnlyList<Changeset>>(
            reply => new ReadChanges(origin.Node.ActorId, VersionRange.Single(1), reply), Timeout);
        // As if committed 30 s ago at the origin: a late arrival.
        var late = changes.Select(c => c is ChangesetFull full ? full with { Timestamp = Hlc(DateTimeOffset.UtcNow.AddSeconds(-30)) } : c).ToList();

        var (_, before) = await HttpJson.GetAsync(node.Http, "/v1/health");
        var outcome = await node.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(late, reply), Timeout);
        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/health");
        var (strict, strictJson) = await HttpJson.GetAsync(node.Http, "/v1/health?p99_lag=10");
        var (lenient, _) = await HttpJson.GetAsync(node.Http, "/v1/health?p99_lag=600");

        Assert.Null(outcome.Error);
        Assert.Equal(0, before.GetProperty("response").GetProperty("p99_lag").GetDouble());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(json.GetProperty("response").GetProperty("p99_lag").GetDouble(), 29, 600);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, strict);
        Assert.Equal("unhealthy", strictJson.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, lenient);
    }

    [Fact]
    public async Task Lag_is_recorded_for_the_versions_a_batch_newly_applied_and_not_for_those_applied_before()
    {
        await using var origin = await TestNode.StartAsync(schema: Schema);
        await using var node = await TestNode.StartAsync(schema: Schema);
        for (var i = 1; i <= 5; i++)
        {
            await HttpJson.PostAsync(origin.Http, "/v1/transactions", $"[\"INSERT INTO a (id) VALUES ({i})\"]");
        }

        var changes = await origin.Node.Actors.Storage.Ask<IReadOnlyList<Changeset>>(
            reply => new ReadChanges(origin.Node.ActorId, new VersionRange(1, 5), reply), Timeout);
        var before = changes.OfType<ChangesetFull>().Where(c => c.Version is 2 or 4).Cast<Changeset>().ToList();
        Assert.Null((await node.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(before, reply), Timeout)).Error);

        // The batch: versions 2 and 4 (applied already) as if 300 s late, the three new ones (separate ranges) 30 s late.
        var batch = changes.Select(c => c is ChangesetFull full
            ? full with { Timestamp = Hlc(DateTimeOffset.UtcNow.AddSeconds(full.Version is 2 or 4 ? -300 : -30)) }
            : c).ToList();
        Assert.Null((await node.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(batch, reply), Timeout)).Error);

        Assert.InRange(node.Node.Telemetry.P99Lag, 29, 200);
    }

    [Fact]
    public async Task Queue_size_reports_changesets_waiting_for_the_writer_and_503_beyond_the_threshold()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        node.Node.Telemetry.AddApplyQueue(5);

        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/health?queue_size=5");
        var (over, _) = await HttpJson.GetAsync(node.Http, "/v1/health?queue_size=4");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, json.GetProperty("response").GetProperty("queue_size").GetInt64());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, over);
    }

    [Fact]
    public async Task The_writer_takes_merged_changesets_off_the_apply_queue()
    {
        await using var origin = await TestNode.StartAsync(schema: Schema);
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(origin.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)"]""");
        await HttpJson.PostAsync(origin.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (2)"]""");
        var changes = await origin.Node.Actors.Storage.Ask<IReadOnlyList<Changeset>>(
            reply => new ReadChanges(origin.Node.ActorId, new VersionRange(1, 2), reply), Timeout);

        node.Node.Telemetry.AddApplyQueue(changes.Count);
        var queued = node.Node.Telemetry.ApplyQueue;
        var outcome = await node.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(changes, reply) { Queued = true }, Timeout);

        Assert.Null(outcome.Error);
        Assert.Equal(2, queued);
        Assert.Equal(0, node.Node.Telemetry.ApplyQueue);
    }

    [Fact]
    public async Task Gaps_over_the_threshold_answer_503()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var remote = ActorId.NewId();
        await node.Node.Actors.Storage.Ask<ApplyOutcome>(
            reply => new ApplyChangesets([new ChangesetEmpty(remote, VersionRange.Single(4))], reply), Timeout);

        var (within, _) = await HttpJson.GetAsync(node.Http, "/v1/health?gaps=3");
        var (over, json) = await HttpJson.GetAsync(node.Http, "/v1/health?gaps=2");

        Assert.Equal(HttpStatusCode.OK, within);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, over);
        Assert.Equal(3, json.GetProperty("response").GetProperty("gaps").GetInt64());
    }

    [Theory]
    [InlineData("p99_lag=soon")]
    [InlineData("p99_lag=-1")]
    [InlineData("queue_size=many")]
    [InlineData("gaps=-2")]
    public async Task A_bad_threshold_is_a_400_with_an_error(string query)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);

        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/health?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(query[..query.IndexOf('=', StringComparison.Ordinal)], json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_lag_window_reports_the_99th_percentile_of_recent_lags_only()
    {
        var time = new FakeTimeProvider();
        var window = new LagWindow(TimeSpan.FromMinutes(1), time);
        Assert.Equal(0, window.P99());

        window.Add(100); // an old outlier, out of the window a minute later
        time.Advance(TimeSpan.FromSeconds(61));
        for (var i = 1; i <= 200; i++)
        {
            window.Add(i / 100.0);
        }

        Assert.Equal(1.98, window.P99(), 3); // nearest rank: the 198th of 200
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, window.P99());
    }

    [Fact]
    public void Queue_size_adds_the_apply_queue_and_ignores_broadcasts_kept_for_retransmission()
    {
        using var telemetry = new NodeTelemetry();
        telemetry.AddApplyQueue(3);
        telemetry.SetBroadcasts(pending: 7, droppedPending: 0);

        Assert.Equal(3, telemetry.QueueSize);
        Assert.Equal(7, telemetry.PendingBroadcasts);
        telemetry.AddApplyQueue(-5);
        Assert.Equal(0, telemetry.QueueSize); // never negative
    }
}
