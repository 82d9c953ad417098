using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Corrosion.Agent.Admin;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Transport;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>Everything a node reads from configuration, bound from HOCON (see hocon/reference.conf).</summary>
public sealed partial class NodeOptions
{
    /// <summary>The <c>db</c> section.</summary>
    public DbOptions Db { get; set; } = new();

    /// <summary>The <c>api</c> section.</summary>
    public ApiOptions Api { get; set; } = new();

    /// <summary>The <c>akka_api</c> section: the Akka client library's gateway (off by default).</summary>
    public AkkaApiOptions AkkaApi { get; set; } = new();

    /// <summary>The <c>gossip</c> section: transport, address, cluster id, TLS.</summary>
    public TransportOptions Gossip { get; set; } = new();

    /// <summary>The <c>membership</c> section: SWIM tuning, bootstrap list, advertised address.</summary>
    public MembershipOptions Membership { get; set; } = new();

    /// <summary>The <c>gossip.broadcast</c> section.</summary>
    public BroadcastOptions Broadcast { get; set; } = new();

    /// <summary>The <c>gossip.sync</c> section.</summary>
    public SyncOptions Sync { get; set; } = new();

    /// <summary>The <c>gossip.replication</c> section.</summary>
    public GossipOptions Replication { get; set; } = new();

    /// <summary>The <c>subscriptions</c> section: live queries.</summary>
    public SubscriptionOptions Subscriptions { get; set; } = new();

    /// <summary>The <c>telemetry</c> section: Prometheus endpoint, OTLP traces, the health figures' window.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>The <c>supervision</c> section: how failed actors are restarted, and when the node gives up.</summary>
    public SupervisionOptions Supervision { get; set; } = new();

    /// <summary>The <c>admin</c> section: the admin socket of the CLI's operator commands.</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>The <c>memory</c> section: how <c>corrosion agent</c> gives memory back after a burst.</summary>
    public MemoryOptions Memory { get; set; } = new();

    /// <summary>
    /// The <c>akka</c> section, as Akka's configuration (<see cref="AkkaSettings"/>): the node's
    /// mailboxes, logging and scheduler settings, and any Akka setting the user adds.
    /// </summary>
    public global::Akka.Configuration.Config Akka
    {
        // Made when first read, not in the constructor: Bind sets it from the node's configuration, and the
        // reference settings cost a parse of reference.conf and of Akka's defaults at every start.
        get => _akka ??= AkkaSettings.Reference;
        set => _akka = value;
    }

    private global::Akka.Configuration.Config? _akka;

    /// <summary>Run replication (the gossip transport and actor); tests of the API alone turn it off.</summary>
    public bool EnableReplication { get; set; } = true;

    /// <summary>The cluster id (<c>gossip.cluster_id</c>); nodes of different clusters ignore each other.</summary>
    public ushort ClusterId => Gossip.ClusterId;

    /// <summary>Binds and validates the options from a configuration.</summary>
    /// <exception cref="InvalidOperationException">a value is out of range; the message names the key.</exception>
    // The binder fills list settings through ICollection<T>.Add, found by reflection (List<T>.GetInterfaces(),
    // then GetMethod("Add")); NativeAOT's trimming removes it unless something names it, and the list then stays
    // empty without an error. Only those members: keeping All of the List<T>s made the executable 5.5 MB larger
    // and an idle node ~4 MiB heavier (bench/RESULTS.md, "RSS per member, session 7").
    [DynamicDependency(nameof(ICollection<string>.Add), typeof(ICollection<string>))]
    [DynamicDependency(nameof(ICollection<TokenOptions>.Add), typeof(ICollection<TokenOptions>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(List<string>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(List<TokenOptions>))]
    public static NodeOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        NodeConfiguration.ThrowOnWrongShapes(configuration);
        try
        {
            var options = new NodeOptions
            {
                Db = configuration.GetSection("db").Get<DbOptions>() ?? new DbOptions(),
                Api = configuration.GetSection("api").Get<ApiOptions>() ?? new ApiOptions(),
                AkkaApi = configuration.GetSection("akka_api").Get<AkkaApiOptions>() ?? new AkkaApiOptions(),
                Gossip = TransportOptions.FromConfiguration(configuration.GetSection("gossip")),
                Membership = MembershipOptions.FromConfiguration(configuration.GetSection("membership")),
                Broadcast = configuration.GetSection("gossip:broadcast").Get<BroadcastOptions>() ?? new BroadcastOptions(),
                Sync = configuration.GetSection("gossip:sync").Get<SyncOptions>() ?? new SyncOptions(),
                Replication = configuration.GetSection("gossip:replication").Get<GossipOptions>() ?? new GossipOptions(),
                Subscriptions = configuration.GetSection("subscriptions").Get<SubscriptionOptions>() ?? new SubscriptionOptions(),
                Supervision = configuration.GetSection("supervision").Get<SupervisionOptions>() ?? new SupervisionOptions(),
                Telemetry = configuration.GetSection("telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions(),
                Admin = configuration.GetSection("admin").Get<AdminOptions>() ?? new AdminOptions(),
                Memory = configuration.GetSection("memory").Get<MemoryOptions>() ?? new MemoryOptions(),
                Akka = AkkaSettings.FromConfiguration(configuration),
            };
            options.Validate();
            return options;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new ConfigurationException(WithOrigin(configuration, e.Message), e);
        }
    }

    /// <summary>Prefixes a message about a key with the file, line and column that set the key.</summary>
    private static string WithOrigin(IConfiguration configuration, string message)
    {
        var quoted = BinderKey().Match(message);
        var candidates = quoted.Success
            ? [quoted.Groups[1].Value]
            : DottedKey().Matches(message).Select(m => m.Value);
        // A key left at a null default (the profile decides) was set by no one; of several keys named,
        // the one the user set is the one to point at, not a default in reference.conf.
        var found = candidates
            .Where(key => configuration[key.Replace('.', ':')] is not null)
            .Select(key => (Key: key.Replace(':', '.'), Origin: configuration.OriginOf(key)))
            .Where(c => c.Origin is not null)
            .OrderBy(c => c.Origin!.StartsWith("reference.conf:", StringComparison.Ordinal))
            .FirstOrDefault();
        if (found.Origin is not { } origin)
        {
            return message;
        }

        // The binder names a key by its property (supervision:Window); the user wrote supervision.window.
        var spelled = Spelled(configuration, found.Key);
        if (quoted.Success)
        {
            message = message.Replace($"'{quoted.Groups[1].Value}'", $"'{spelled.Replace('.', ':')}'", StringComparison.Ordinal);
        }

        return message.Contains(spelled, StringComparison.Ordinal) ? $"{origin}: {message}" : $"{origin}: {spelled}: {message}";
    }

    /// <summary>A key as the configuration spells it (configuration keys match whatever their case).</summary>
    private static string Spelled(IConfiguration configuration, string key)
    {
        var spelled = new List<string>();
        IConfiguration level = configuration;
        foreach (var segment in key.Split('.', ':'))
        {
            var child = level.GetChildren().FirstOrDefault(c => string.Equals(c.Key, segment, StringComparison.OrdinalIgnoreCase));
            if (child is null)
            {
                return key.Replace(':', '.');
            }

            spelled.Add(child.Key);
            level = child;
        }

        return string.Join('.', spelled);
    }

    [GeneratedRegex(@"at '([^']+)'")]
    private static partial Regex BinderKey();

    [GeneratedRegex(@"\b[a-z_]+(?:[.:][a-z_0-9]+)+\b")]
    private static partial Regex DottedKey();

    /// <summary>Checks values that binding alone cannot.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Db.Path), "db.path", "must not be empty");
        Require(Db.ReadPoolSize is >= 1 and <= 64, "db.read_pool_size", "must be between 1 and 64");
        Require(Db.MaxChangesPerChunk is >= 1 and <= 100_000, "db.max_changes_per_chunk", "must be between 1 and 100000");
        Require(Db.GroupCommitMax is >= 1 and <= 10_000, "db.group_commit_max", "must be between 1 and 10000");
        Require(Db.MaxValueSize.Bytes is >= 1024 and <= Storage.StoreOptions.MaxMaxValueSize, "db.max_value_size", "must be between 1KiB and 1000000000 bytes (SQLite's bound)");
        Require(Db.CheckpointPages is >= 0 and <= 10_000_000, "db.checkpoint_pages", "must be 0 (checkpoint in the writer) or between 1 and 10000000");
        Require(Db.CompactionInterval >= TimeSpan.Zero && Db.CompactionInterval <= TimeSpan.FromDays(1), "db.compaction_interval", "must be 0 (no compaction) or up to 1d");
        Require(Db.CompactionBatch is >= 1 and <= 1_000_000, "db.compaction_batch", "must be between 1 and 1000000");
        Require(Db.Synchronous.ToUpperInvariant() is "OFF" or "NORMAL" or "FULL" or "EXTRA", "db.synchronous", "must be OFF, NORMAL, FULL or EXTRA");
        Require(EndpointText.TryParse(Api.Addr, out _), "api.addr", $"\"{Api.Addr}\" is not host:port");
        Require(Api.MaxBodySize.Bytes > 0, "api.max_body_size", "must be positive");
        Require(Api.DefaultTimeout > TimeSpan.Zero, "api.default_timeout", "must be positive");
        Require(Api.MaxQueryRows >= 0, "api.max_query_rows", "must be 0 (no limit) or positive");
        Require(Api.MaxQueryBytes.Bytes >= 0, "api.max_query_bytes", "must be 0 (no limit) or positive");
        Require(Api.RequestHeadersTimeout > TimeSpan.Zero, "api.request_headers_timeout", "must be positive");
        Require(Api.MinDataRateGrace > TimeSpan.FromSeconds(1), "api.min_data_rate_grace", "must be more than 1s (Kestrel checks rates once a second and refuses a grace of 1s or less)");
        Require(Api.StreamDrainTimeout >= TimeSpan.FromSeconds(1), "api.stream_drain_timeout", "must be at least 1s");
        Api.Authz.Validate();
        AkkaApi.Validate();
        Gossip.Validate();
        Membership.Validate();
        Broadcast.Validate();
        Sync.Validate();
        Replication.Validate();
        Subscriptions.Validate();
        Supervision.Validate();
        Telemetry.Validate();
        Admin.Validate(Db.Path);
        Memory.Validate();
        if (Telemetry.Prometheus.Addr.Length > 0 && EndpointText.TryParse(Telemetry.Prometheus.Addr, out var metrics)
            && EndpointText.TryParse(Api.Addr, out var api) && metrics.Equals(api) && metrics.Port != 0)
        {
            throw new InvalidOperationException($"configuration key telemetry.prometheus.addr must differ from api.addr ({Api.Addr}); leave it empty to serve /metrics on api.addr");
        }

        var bind = Gossip.BindEndPoint.Address;
        Require(
            Membership.AdvertiseAddr.Length > 0 || !(bind.Equals(System.Net.IPAddress.Any) || bind.Equals(System.Net.IPAddress.IPv6Any)),
            "membership.advertise_addr",
            $"must be set when gossip.addr binds the wildcard address {Gossip.BindEndPoint}");
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"configuration key {key} {problem}");
        }
    }
}
