using System.Diagnostics;
using System.Globalization;

namespace Corrosion.Bench;

/// <summary>
/// What a load phase cost an agent running as its own process, per request: its CPU (from /proc through
/// <see cref="Process.TotalProcessorTime"/>), the load generator's (this process's reaped children), and
/// transactions per SQLite commit from the agent's <c>GET /metrics</c> (<c>corrosion_storage_commit_transactions</c>).
/// </summary>
internal sealed class AgentCosts
{
    private readonly Process _agent;
    private readonly HttpClient _http;
    private readonly TimeSpan _cpu;
    private readonly TimeSpan _children = ServerCosts.ChildrenCpu();
    private readonly (double Sum, double Count) _commits;
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    private AgentCosts(Process agent, HttpClient http, TimeSpan cpu, (double, double) commits)
    {
        _agent = agent;
        _http = http;
        _cpu = cpu;
        _commits = commits;
    }

    public static async Task<AgentCosts> StartAsync(Process agent, HttpClient http)
    {
        var commits = await CommitsAsync(http);
        agent.Refresh();
        return new AgentCosts(agent, http, agent.TotalProcessorTime, commits);
    }

    /// <summary>One line: CPU of the agent and of the load generator per request, transactions per commit.</summary>
    public async Task<string> DescribeAsync(long requests)
    {
        _agent.Refresh();
        var cpu = (_agent.TotalProcessorTime - _cpu).TotalMicroseconds;
        var wall = _wall.Elapsed.TotalSeconds;
        var children = (ServerCosts.ChildrenCpu() - _children).TotalMicroseconds;
        var (sum, count) = await CommitsAsync(_http);
        var commits = count - _commits.Count;
        var perCommit = commits <= 0 ? 0 : (sum - _commits.Sum) / commits;
        return string.Create(CultureInfo.InvariantCulture,
            $"agent CPU {cpu / requests:F1} µs/tx ({cpu / 1e6 / wall:F2} cores), load generator CPU {children / requests:F1} µs/tx; "
            + $"{perCommit:F1} transactions per SQLite commit ({commits:N0} commits)");
    }

    /// <summary>The commit-size histogram's sum and count, from the agent's Prometheus text.</summary>
    private static async Task<(double Sum, double Count)> CommitsAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        double sum = 0, count = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("corrosion_storage_commit_transactions_sum", StringComparison.Ordinal))
            {
                sum += Value(line);
            }
            else if (line.StartsWith("corrosion_storage_commit_transactions_count", StringComparison.Ordinal))
            {
                count += Value(line);
            }
        }

        return (sum, count);
    }

    // "name{labels} value [timestamp]": the value is the field after the labels.
    private static double Value(string line)
    {
        var fields = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ');
        return double.Parse(fields[0], CultureInfo.InvariantCulture);
    }
}
