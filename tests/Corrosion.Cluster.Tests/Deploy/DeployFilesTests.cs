using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Corrosion.Agent.Node;
using YamlDotNet.RepresentationModel;

namespace Corrosion.Cluster.Tests.Deploy;

/// <summary>
/// The files in deploy/ checked without the systems they are for (no systemd as init, no Kubernetes,
/// no image registry here): systemd's own verifier, YAML parsing and cross-checks of names and ports,
/// the embedded configuration through the node's own checks, and promtool.
/// </summary>
public sealed partial class DeployFilesTests : IDisposable
{
    private static readonly string Repo = FindRepo();
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "corrosion-deploy-tests", Guid.NewGuid().ToString("N"))).FullName;

    private static string FindRepo()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Corrosion.Actors.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }

        return dir;
    }

    private static string DeployFile(string relative) => Path.Combine(Repo, "deploy", relative);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public void The_systemd_unit_is_hardened()
    {
        var unit = File.ReadAllLines(DeployFile("corrosion.service"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .GroupBy(kv => kv[0], kv => kv[1])
            .ToDictionary(g => g.Key, g => g.Last());

        Assert.Equal("corrosion", unit["User"]);
        Assert.Equal("true", unit["NoNewPrivileges"]);
        Assert.Equal("strict", unit["ProtectSystem"]);
        Assert.Equal("true", unit["PrivateTmp"]);
        Assert.Equal("corrosion", unit["StateDirectory"]);
        Assert.Equal("/var/lib/corrosion", unit["ReadWritePaths"]);
        Assert.Equal(string.Empty, unit["CapabilityBoundingSet"]);
        Assert.Equal("on-failure", unit["Restart"]);
        Assert.Equal(NativeExecutable + " agent --check -c /etc/corrosion/config.conf", unit["ExecStartPre"]);
        Assert.Equal(NativeExecutable + " agent -c /etc/corrosion/config.conf", unit["ExecStart"]);
        // The native executable compiles no code at run time (tests/Corrosion.Native.Tests runs it under the kernel's MDWE).
        Assert.Equal("yes", unit["MemoryDenyWriteExecute"]);
        Assert.DoesNotContain(unit.Keys, k => k.StartsWith("Environment", StringComparison.Ordinal) && unit[k].Contains("DOTNET_", StringComparison.Ordinal));
    }

    /// <summary>Where the unit runs the native executable from (its install steps put it there).</summary>
    private const string NativeExecutable = "/opt/corrosion/corrosion";

    [Fact]
    public void The_container_image_runs_the_native_executable_without_a_dotnet_runtime()
    {
        var lines = File.ReadAllLines(DeployFile("Dockerfile")).Where(l => !l.StartsWith('#')).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var publish = lines.Single(l => l.Contains("dotnet publish", StringComparison.Ordinal));
        var copied = lines.Single(l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal));

        Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/runtime-deps:10.0"], stages);
        Assert.Contains("-r linux-x64 -p:PublishAot=true -o /publish", publish, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("install", StringComparison.Ordinal) && l.Contains(" clang", StringComparison.Ordinal));
        Assert.Equal("COPY --from=build /publish/corrosion /publish/libe_sqlite3.so ./", copied);
        Assert.Equal("ENTRYPOINT [\"/app/corrosion\"]", lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("corrosion.dll", StringComparison.Ordinal));
    }

    [ToolFact("systemd-analyze", "systemd")]
    public async Task The_systemd_unit_passes_systemd_analyze_verify_and_security()
    {
        // verify checks that ExecStart's program exists and is executable: a stand-in at the same name here.
        var unit = Path.Combine(_dir, "corrosion.service");
        var stub = Path.Combine(_dir, "corrosion");
        await File.WriteAllTextAsync(stub, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(DeployFile("corrosion.service"))).Replace(NativeExecutable + " ", stub + " ", StringComparison.Ordinal));
        var verify = await RunAsync("systemd-analyze", "verify", unit);
        var security = await RunAsync("systemd-analyze", "security", "--offline=yes", unit);

        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, verify.Output);
        var exposure = ExposureLine().Match(security.Output);
        Assert.True(exposure.Success, security.Output);
        Assert.True(double.Parse(exposure.Groups[1].Value, CultureInfo.InvariantCulture) <= 2.5, exposure.Value);
        Assert.Contains("✓ MemoryDenyWriteExecute=", security.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Overall exposure level for corrosion\.service: ([0-9.]+)")]
    private static partial Regex ExposureLine();

    private static List<YamlMappingNode> KubernetesDocuments()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(DeployFile("kubernetes/corrosion.yaml")))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static string Text(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            current = current is YamlSequenceNode seq && int.TryParse(key, out var i) ? seq[i] : ((YamlMappingNode)current)[key];
        }

        return ((YamlScalarNode)current).Value!;
    }

    private static YamlMappingNode Kind(List<YamlMappingNode> docs, string kind, string? name = null) =>
        docs.Single(d => Text(d, "kind") == kind && (name is null || Text(d, "metadata", "name") == name));

    [Fact]
    public void The_statefulset_bootstraps_through_its_headless_service()
    {
        var docs = KubernetesDocuments();
        var set = Kind(docs, "StatefulSet");
        var headless = Kind(docs, "Service", Text(set, "spec", "serviceName"));
        var container = (YamlMappingNode)((YamlSequenceNode)set["spec"]["template"]["spec"]["containers"])[0];
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name"), e => e);
        var ports = ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>().ToDictionary(p => Text(p, "name"), p => p);
        var config = Kind(docs, "ConfigMap");

        Assert.Equal("None", Text(headless, "spec", "clusterIP"));
        Assert.Equal("true", Text(headless, "spec", "publishNotReadyAddresses"));
        foreach (var port in ((YamlSequenceNode)headless["spec"]["ports"]).Cast<YamlMappingNode>())
        {
            Assert.Equal(Text(port, "port"), Text(ports[Text(port, "name")], "containerPort"));
            Assert.Equal(Text(port, "protocol"), Text(ports[Text(port, "name")], "protocol"));
        }

        Assert.Equal("$(POD_IP):8787", Text(env["CORROSION_MEMBERSHIP__ADVERTISE_ADDR"], "value"));
        Assert.Equal("status.podIP", Text(env["POD_IP"], "valueFrom", "fieldRef", "fieldPath"));
        var nodeConf = Text(config, "data", "node.conf");
        Assert.Contains($"bootstrap = [\"{Text(headless, "metadata", "name")}:8787\"]", nodeConf, StringComparison.Ordinal);
        Assert.Equal(Text(set, "spec", "selector", "matchLabels", "app.kubernetes.io/name"), Text(headless, "spec", "selector", "app.kubernetes.io/name"));
        Assert.Equal("/v1/health", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("data", Text(set, "spec", "volumeClaimTemplates", "0", "metadata", "name"));
    }

    [Fact]
    public void The_kubernetes_node_conf_passes_the_nodes_own_check()
    {
        var docs = KubernetesDocuments();
        var data = Kind(docs, "ConfigMap")["data"];
        var schema = Path.Combine(_dir, "schema.sql");
        File.WriteAllText(schema, Text(data, "schema.sql"));
        var conf = Path.Combine(_dir, "node.conf");
        File.WriteAllText(conf, Text(data, "node.conf").Replace("/etc/corrosion/schema.sql", schema, StringComparison.Ordinal));

        // As in the pod: the advertised address comes from the environment.
        var (options, _) = NodeConfiguration.Check(conf, [new("membership:advertise_addr", "10.1.2.3:8787")]);

        Assert.Equal(["corrosion-gossip:8787"], options.Membership.Bootstrap);
        Assert.Equal("/var/lib/corrosion/corrosion.db", options.Db.Path);
        Assert.Equal("0.0.0.0:8080", options.Api.Addr);
    }

    [Fact]
    public void The_prometheus_config_scrapes_the_example_clusters_api_addresses()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(DeployFile("prometheus/prometheus.yml")))
        {
            stream.Load(reader);
        }

        var job = ((YamlSequenceNode)stream.Documents[0].RootNode["scrape_configs"]).Cast<YamlMappingNode>().Single(j => Text(j, "job_name") == "corrosion");
        var targets = ((YamlSequenceNode)job["static_configs"][0]["targets"]).Select(t => ((YamlScalarNode)t).Value!).ToList();
        var addrs = Enumerable.Range(1, 3)
            .Select(i => NodeConfiguration.Load(Path.Combine(Repo, "hocon", "examples", $"cluster-node{i}.conf")).Api.Addr)
            .ToList();

        Assert.Equal("/metrics", Text(job, "metrics_path"));
        Assert.Equal(addrs, targets);
    }

    [ToolFact("promtool", "prometheus")]
    public async Task The_prometheus_config_passes_promtool()
    {
        var result = await RunAsync("promtool", "check", "config", DeployFile("prometheus/prometheus.yml"));

        Assert.True(result.ExitCode == 0, result.Output);
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
}
