using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Corrosion.Agent.Api;
using Corrosion.Agent.Node;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Telemetry;

public sealed class MetricsEndpointTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);";

    private static async Task WriteAsync(HttpClient http, int id)
    {
        using var body = new StringContent($"[\"INSERT INTO items (id, name) VALUES ({id}, 'x')\"]", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_are_served_as_prometheus_text_with_the_writes_counted()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await WriteAsync(node.Http, 1);
        await WriteAsync(node.Http, 2);

        using var response = await node.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("# TYPE corrosion_storage_transactions_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE corrosion_storage_transaction_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE corrosion_storage_commit_transactions histogram", text, StringComparison.Ordinal);
        Assert.True(MetricsText.Value(text, "corrosion_storage_commit_transactions_count") >= 2, text);
        // Meters are process-wide (other tests' nodes write too): at least this node's two writes.
        Assert.True(MetricsText.Value(text, "corrosion_storage_transactions_total", "outcome=\"committed\"") >= 2, text);
        Assert.True(MetricsText.Value(text, "corrosion_storage_changes_total", "origin=\"local\"") >= 2, text);
        Assert.True(MetricsText.Value(text, "http_server_request_duration_seconds_count", "http_route=\"/v1/transactions\"", "http_response_status_code=\"200\"") >= 2, text);
        Assert.True(MetricsText.Value(text, "corrosion_storage_version") >= 2, text);
        Assert.True(MetricsText.Value(text, "corrosion_storage_db_size_bytes") > 0, text);
        Assert.NotNull(MetricsText.Value(text, "corrosion_membership_members", "state=\"alive\""));
        Assert.NotNull(MetricsText.Value(text, "corrosion_replication_apply_queue"));
        Assert.NotNull(MetricsText.Value(text, "corrosion_subscriptions_active"));
        // The writer's bounded mailbox, read at the scrape (empty by now).
        Assert.NotNull(MetricsText.Value(text, "corrosion_actors_mailbox_depth", "actor_path=\"/user/corrosion/storage\""));
    }

    [Fact]
    public async Task A_change_a_live_query_produces_is_counted_as_a_subscription_event()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await using var stream = await Subscriptions.SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions", "\"SELECT id, name FROM items\"");
        await stream.NextAsync(); // columns
        await stream.NextAsync(); // eoq
        var before = await InsertEventsAsync(node.Http);

        await WriteAsync(node.Http, 7);
        var change = await stream.NextAsync();

        Assert.Equal("insert", change.GetProperty("change")[0].GetString());
        // Counted before it is delivered; meters are process-wide, so at least this one more.
        Assert.True(await InsertEventsAsync(node.Http) >= before + 1);
    }

    private static async Task<double> InsertEventsAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        return MetricsText.Value(await response.Content.ReadAsStringAsync(), "corrosion_subscriptions_events_total", "kind=\"insert\"") ?? 0;
    }

    [Fact]
    public async Task A_failed_transaction_is_counted_as_failed()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        using var before = await node.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var failedBefore = MetricsText.Value(await before.Content.ReadAsStringAsync(), "corrosion_storage_transactions_total", "outcome=\"failed\"") ?? 0;

        using var body = new StringContent("[\"INSERT INTO nowhere VALUES (1)\"]", Encoding.UTF8, "application/json");
        using var refused = await node.Http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), body);
        using var after = await node.Http.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True(MetricsText.Value(await after.Content.ReadAsStringAsync(), "corrosion_storage_transactions_total", "outcome=\"failed\"") >= failedBefore + 1);
    }

    [Fact]
    public async Task Metrics_on_the_api_listener_need_a_token_when_tokens_are_configured()
    {
        await using var node = await TestNode.StartAsync(o => o.Api.Authz.BearerTokens.Add("secret"), Schema);

        using var anonymous = await node.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret");
        using var authorized = await node.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("corrosion_storage_", await authorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_switched_off_answer_404()
    {
        await using var node = await TestNode.StartAsync(o => o.Telemetry = new TelemetryOptions { Prometheus = new PrometheusOptions { Enabled = false } }, Schema);

        using var response = await node.Http.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_separate_metrics_listener_serves_metrics_alone_and_without_tokens()
    {
        using var dir = new TempDirectory();
        var options = new NodeOptions();
        options.Db.Path = dir.File("node.db");
        options.Api.Addr = "127.0.0.1:0";
        options.Api.Authz.BearerTokens.Add("secret");
        options.EnableReplication = false;
        options.Telemetry = new TelemetryOptions { Prometheus = new PrometheusOptions { Addr = "127.0.0.1:0" } };
        await using var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        var metricsAddress = node.MetricsAddress;
        Assert.NotNull(metricsAddress);
        Assert.NotEqual(node.ApiAddress.Port, metricsAddress!.Port);

        using var metrics = await http.GetAsync(new Uri(metricsAddress, "/metrics"));
        using var healthThere = await http.GetAsync(new Uri(metricsAddress, "/v1/health"));
        using var metricsOnApi = await http.GetAsync(new Uri(node.ApiAddress, "/metrics"));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("corrosion_storage_version", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, healthThere.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metricsOnApi.StatusCode);
        Assert.Contains("telemetry.prometheus.addr", await metricsOnApi.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("telemetry.prometheus.addr = \"nowhere\"", "telemetry.prometheus.addr")]
    [InlineData("telemetry.otlp.endpoint = \"ftp://collector:4317\"", "telemetry.otlp.endpoint")]
    [InlineData("telemetry.otlp.protocol = udp", "telemetry.otlp.protocol")]
    [InlineData("telemetry.lag_window = 0s", "telemetry.lag_window")]
    [InlineData("api.addr = \"127.0.0.1:9000\"\ntelemetry.prometheus.addr = \"127.0.0.1:9000\"", "telemetry.prometheus.addr")]
    public void Bad_telemetry_settings_are_start_up_errors_naming_the_key(string config, string key)
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.conf");
        File.WriteAllText(path, config);

        var error = Assert.ThrowsAny<Exception>(() => NodeConfiguration.Load(path));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_settings_bind_from_hocon()
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.conf");
        File.WriteAllText(path, """
            telemetry {
              prometheus { addr = "127.0.0.1:9090", enabled = true }
              otlp { endpoint = "http://collector:4318", protocol = "http/protobuf", service_name = edge }
              lag_window = 30s
            }
            """);

        var options = NodeConfiguration.Load(path).Telemetry;

        Assert.Equal("127.0.0.1:9090", options.Prometheus.Addr);
        Assert.Equal("http://collector:4318", options.Otlp.Endpoint);
        Assert.Equal("http/protobuf", options.Otlp.Protocol);
        Assert.Equal("edge", options.Otlp.ServiceName);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LagWindow);
    }

    [Fact]
    public void The_defaults_serve_metrics_on_the_api_and_export_no_traces()
    {
        var options = NodeConfiguration.Load(null).Telemetry;

        Assert.True(options.Prometheus.Enabled);
        Assert.Equal("", options.Prometheus.Addr);
        Assert.False(options.Otlp.IsEnabled);
        Assert.Equal(TimeSpan.FromMinutes(1), options.LagWindow);
    }

    [Fact]
    public void Bounded_instruments_get_stream_limits_of_their_size_and_per_peer_ones_keep_the_default()
    {
        using var storage = new System.Diagnostics.Metrics.Meter(CorrosionTelemetry.StorageMeter);
        using var replication = new System.Diagnostics.Metrics.Meter(CorrosionTelemetry.ReplicationMeter);
        using var actors = new System.Diagnostics.Metrics.Meter(Corrosion.Agent.Actors.ActorMetrics.MeterName);
        using var http = new System.Diagnostics.Metrics.Meter(CorrosionTelemetry.HttpMeter);
        using var other = new System.Diagnostics.Metrics.Meter("Someone.Else");

        Assert.Equal(CorrosionTelemetry.FixedTagsCardinalityLimit, CorrosionTelemetry.CardinalityLimit(storage.CreateCounter<long>("corrosion.storage.transactions")));
        Assert.Null(CorrosionTelemetry.CardinalityLimit(replication.CreateObservableGauge("corrosion.replication.send_queue", () => 0L)));
        Assert.Equal(CorrosionTelemetry.ActorsCardinalityLimit, CorrosionTelemetry.CardinalityLimit(actors.CreateCounter<long>(Corrosion.Agent.Actors.ActorMetrics.DeadLetters)));
        Assert.Equal(CorrosionTelemetry.HttpCardinalityLimit, CorrosionTelemetry.CardinalityLimit(http.CreateHistogram<double>("http.server.request.duration")));
        Assert.Null(CorrosionTelemetry.CardinalityLimit(other.CreateCounter<long>("x")));
    }
}
