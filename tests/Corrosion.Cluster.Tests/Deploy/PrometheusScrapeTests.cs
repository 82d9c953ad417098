using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests.Deploy;

/// <summary>
/// A real Prometheus (Debian's 2.42, installed by .ci/run) scrapes a real agent with the scrape
/// configuration of deploy/prometheus/prometheus.yml, and its query API answers with our series.
/// </summary>
public sealed class PrometheusScrapeTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-prometheus-tests", Guid.NewGuid().ToString("N"));

    private static string Repo()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Corrosion.Actors.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }

        return dir;
    }

    private static async Task WriteAsync(HttpClient http, Uri api, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            using var body = new StringContent($"[\"INSERT INTO machines (id, region) VALUES ('m-{i}', 'ams')\"]", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(api, "/v1/transactions"), body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [ToolFact("promtool", "prometheus")]
    public async Task The_agents_metrics_pass_promtool_check_metrics()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        using var http = new HttpClient();
        await WriteAsync(http, agent.ApiAddress, 1);
        var text = await http.GetStringAsync(new Uri(agent.ApiAddress, "/metrics"));

        var info = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var promtool = Process.Start(info)!;
        var stdout = promtool.StandardOutput.ReadToEndAsync();
        var stderr = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await promtool.WaitForExitAsync(cts.Token);

        Assert.True(promtool.ExitCode == 0, $"promtool check metrics: {await stdout}{await stderr}\n{text}");
        Assert.Contains("corrosion_storage_transactions_total", text, StringComparison.Ordinal);
    }

    [ToolFact("prometheus", "prometheus")]
    public async Task A_prometheus_server_scrapes_an_agent_and_answers_a_query_for_its_writes()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        const int Writes = 5;
        await WriteAsync(http, agent.ApiAddress, Writes);

        // deploy/prometheus/prometheus.yml, pointed at this agent and scraping every second.
        var deployed = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "prometheus", "prometheus.yml"));
        const string Targets = "targets: [\"127.0.0.1:8081\", \"127.0.0.1:8082\", \"127.0.0.1:8083\"]";
        Assert.Contains(Targets, deployed, StringComparison.Ordinal);
        var config = deployed.Replace(Targets, $"targets: [\"{agent.ApiAddr}\"]", StringComparison.Ordinal)
            .Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal);
        var configPath = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);
        var port = FreePort();
        await using var prometheus = PrometheusProcess.Start(configPath, Path.Combine(_dir, "tsdb"), port);
        var api = new Uri($"http://127.0.0.1:{port}");

        // Wait, on a deadline, until a scrape has brought the agent's count of committed transactions.
        var query = "corrosion_storage_transactions_total{job=\"corrosion\",outcome=\"committed\"}";
        double? value = null;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Deadline)
        {
            Assert.False(prometheus.HasExited, $"prometheus exited:\n{prometheus.Output}");
            value = await QueryAsync(http, api, query);
            if (value == Writes)
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.True(value == Writes, $"{query} = {value?.ToString(CultureInfo.InvariantCulture) ?? "no result"} after {deadline.Elapsed}; prometheus:\n{prometheus.Output}");

        // More writes show up in a later scrape.
        await WriteAsync(http, agent.ApiAddress, 2, first: Writes);
        while (deadline.Elapsed < Deadline && (value = await QueryAsync(http, api, query)) != Writes + 2)
        {
            await Task.Delay(250);
        }

        Assert.Equal(Writes + 2, value);
    }

    private static async Task<double?> QueryAsync(HttpClient http, Uri api, string query)
    {
        try
        {
            var json = await http.GetStringAsync(new Uri(api, "/api/v1/query?query=" + Uri.EscapeDataString(query)));
            using var document = JsonDocument.Parse(json);
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0
                ? null
                : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A Prometheus server that dies with the test host (its shell ends when the host's pipe closes).</summary>
    private sealed class PrometheusProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private PrometheusProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static PrometheusProcess Start(string config, string storage, int port)
        {
            // The shell reads its stdin (the test host's pipe): when the host ends, normally or killed, read returns and Prometheus is killed.
            var info = new ProcessStartInfo("sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "-c", "prometheus \"$@\" & child=$!; trap 'kill $child 2>/dev/null; wait $child' EXIT; read _", "sh",
                $"--config.file={config}", $"--storage.tsdb.path={storage}", $"--web.listen-address=127.0.0.1:{port}",
            })
            {
                info.ArgumentList.Add(arg);
            }

            return new PrometheusProcess(Process.Start(info)!);
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
