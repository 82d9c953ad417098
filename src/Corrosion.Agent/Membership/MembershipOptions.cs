using System.Globalization;
using System.Net;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Membership;

/// <summary>
/// The <c>membership</c> section (see hocon/reference.conf): a SWIM profile with per-key overrides, the
/// bootstrap list and the address announced to others.
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>Profile used when none is configured.</summary>
    public const string DefaultProfile = "lan";

    /// <summary>The profile name the tuning started from (<c>lan</c> or <c>wan</c>).</summary>
    public string Profile { get; init; } = DefaultProfile;

    /// <summary>SWIM tuning: the profile with the configured overrides applied.</summary>
    public SwimOptions Swim { get; init; } = SwimOptions.Lan;

    /// <summary>Bootstrap members as written, <c>host:port</c>; names are resolved by DNS when joining.</summary>
    public IReadOnlyList<string> Bootstrap { get; init; } = [];

    /// <summary>
    /// The gossip address announced to other members, <c>ip:port</c>; empty means the bound address
    /// (which then must not be a wildcard such as 0.0.0.0).
    /// </summary>
    public string AdvertiseAddr { get; init; } = string.Empty;

    /// <summary>Reads the section; missing keys keep the profile's values.</summary>
    /// <exception cref="InvalidOperationException">A value is malformed or out of range; the message names the key.</exception>
    public static MembershipOptions FromConfiguration(IConfiguration membership)
    {
        ArgumentNullException.ThrowIfNull(membership);
        var profile = string.IsNullOrWhiteSpace(membership["profile"]) ? DefaultProfile : membership["profile"]!.Trim();
        SwimOptions swim;
        try
        {
            swim = SwimOptions.ForProfile(profile);
        }
        catch (ArgumentException)
        {
            throw KeyError("profile", $"\"{profile}\" is not a profile (expected lan or wan)");
        }

        swim = swim with
        {
            ProbeIntervalMs = Millis(membership, "probe_interval", swim.ProbeIntervalMs),
            ProbeTimeoutMs = Millis(membership, "probe_timeout", swim.ProbeTimeoutMs),
            IndirectProbes = Int(membership, "indirect_probes", swim.IndirectProbes),
            SuspicionMult = Int(membership, "suspicion_mult", swim.SuspicionMult),
            SuspicionMaxTimeoutMult = Int(membership, "suspicion_max_timeout_mult", swim.SuspicionMaxTimeoutMult),
            RetransmitMult = Int(membership, "retransmit_mult", swim.RetransmitMult),
            MaxPacketSize = Int(membership, "max_packet_size", swim.MaxPacketSize),
            GossipIntervalMs = Millis(membership, "gossip_interval", swim.GossipIntervalMs),
            GossipFanout = Int(membership, "gossip_fanout", swim.GossipFanout),
            DownRetentionMs = Millis(membership, "down_retention", swim.DownRetentionMs),
            ReconnectIntervalMs = Millis(membership, "reconnect_interval", swim.ReconnectIntervalMs),
            ReprobeMinIntervalMs = Millis(membership, "reprobe_min_interval", swim.ReprobeMinIntervalMs),
            ReprobeMaxIntervalMs = Millis(membership, "reprobe_max_interval", swim.ReprobeMaxIntervalMs),
            JoinRetryMaxMs = Millis(membership, "join_retry_max", swim.JoinRetryMaxMs),
            MaxMembers = Int(membership, "max_members", swim.MaxMembers),
            LifeguardEnabled = Bool(membership, "lifeguard:enabled", swim.LifeguardEnabled),
            RefusedIsFailedProbe = Bool(membership, "refused_is_failed_probe", swim.RefusedIsFailedProbe),
        };

        var bootstrap = new List<string>();
        var section = membership.GetSection("bootstrap");
        var children = section.GetChildren().ToList();
        if (children.Count > 0)
        {
            bootstrap.AddRange(children.Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()));
        }
        else if (!string.IsNullOrWhiteSpace(section.Value))
        {
            // An environment variable carries a list as "a:1,b:2".
            bootstrap.AddRange(section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var options = new MembershipOptions
        {
            Profile = profile.ToLowerInvariant(),
            Swim = swim,
            Bootstrap = bootstrap,
            AdvertiseAddr = membership["advertise_addr"]?.Trim() ?? string.Empty,
        };
        options.Validate();
        return options;
    }

    /// <summary>Checks the values; every error names its key.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range.</exception>
    public void Validate()
    {
        var s = Swim;
        Require(s.ProbeIntervalMs > 0, "probe_interval", "must be positive");
        Require(s.ProbeTimeoutMs > 0 && s.ProbeTimeoutMs < s.ProbeIntervalMs, "probe_timeout", $"must be positive and shorter than probe_interval ({s.ProbeIntervalMs} ms)");
        Require(s.IndirectProbes >= 0, "indirect_probes", "must not be negative");
        Require(s.SuspicionMult >= 1, "suspicion_mult", "must be at least 1");
        Require(s.SuspicionMaxTimeoutMult >= 1, "suspicion_max_timeout_mult", "must be at least 1");
        Require(s.RetransmitMult >= 1, "retransmit_mult", "must be at least 1");
        Require(s.MaxPacketSize is >= SwimCodec.MinimumPacketSize and <= 65_000, "max_packet_size", $"must be between {SwimCodec.MinimumPacketSize} and 65000");
        Require(s.GossipIntervalMs >= 0, "gossip_interval", "must not be negative");
        Require(s.GossipFanout >= 1, "gossip_fanout", "must be at least 1");
        Require(s.DownRetentionMs > 0, "down_retention", "must be positive");
        Require(s.ReconnectIntervalMs >= 0, "reconnect_interval", "must not be negative");
        Require(s.ReprobeMaxIntervalMs >= 0, "reprobe_max_interval", "must not be negative");
        Require(s.ReprobeMinIntervalMs > 0 && (s.ReprobeMaxIntervalMs == 0 || s.ReprobeMinIntervalMs <= s.ReprobeMaxIntervalMs), "reprobe_min_interval", $"must be positive and at most reprobe_max_interval ({s.ReprobeMaxIntervalMs} ms)");
        Require(s.JoinRetryMaxMs > 0, "join_retry_max", "must be positive");
        Require(s.MaxMembers >= 1, "max_members", "must be at least 1");
        foreach (var entry in Bootstrap)
        {
            Require(TrySplitHostPort(entry, out _, out _), "bootstrap", $"entry \"{entry}\" is not host:port");
        }

        Require(AdvertiseAddr.Length == 0 || NodeAddress.TryParse(AdvertiseAddr, out _), "advertise_addr", $"\"{AdvertiseAddr}\" is not ip:port");
    }

    /// <summary>Splits <c>host:port</c> (<c>[v6]:port</c> for IPv6 literals); the port must be 1-65535.</summary>
    public static bool TrySplitHostPort(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = text[..colon].Trim();
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            return IPAddress.TryParse(host, out _);
        }

        return host.Length > 0 && !host.Contains(':', StringComparison.Ordinal);
    }

    private static long Millis(IConfiguration section, string key, long fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!HoconDuration.TryParse(text, out var value) || value < TimeSpan.Zero)
        {
            throw KeyError(key, $"\"{text}\" is not a duration (for example 500ms or 1s)");
        }

        return (long)value.TotalMilliseconds;
    }

    private static int Int(IConfiguration section, string key, int fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw KeyError(key, $"\"{text}\" is not an integer");
    }

    private static bool Bool(IConfiguration section, string key, bool fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return bool.TryParse(text, out var value) ? value : throw KeyError(key, $"\"{text}\" is not true or false");
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw KeyError(key, problem);
        }
    }

    private static InvalidOperationException KeyError(string key, string problem) =>
        new($"configuration key membership.{key.Replace(':', '.')} {problem}");
}
