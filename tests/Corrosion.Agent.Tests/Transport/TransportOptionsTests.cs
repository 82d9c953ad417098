using System.Net;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Transport;

public class TransportOptionsTests
{
    [Fact]
    public void Missing_keys_keep_the_named_defaults()
    {
        var options = TransportOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.Equal(new TransportOptions(), options);
        Assert.Equal(TransportOptions.DefaultMaxFrameSize, options.MaxFrameSize);
        Assert.Equal(TransportOptions.DefaultConnectTimeout, options.ConnectTimeout);
        Assert.False(options.Plaintext);
    }

    [Fact]
    public void Gossip_keys_are_read_with_units()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["transport"] = "tcp",
            ["addr"] = "0.0.0.0:8787",
            ["cluster_id"] = "7",
            ["plaintext"] = "true",
            ["max_frame_size"] = "2MiB",
            ["send_queue_per_peer"] = "64",
            ["coalesce_bytes"] = "32KiB",
            ["connect_timeout"] = "750ms",
            ["send_timeout"] = "2s",
            ["idle_timeout"] = "1m",
            ["tls:cert_file"] = "/etc/c.pem",
            ["tls:key_file"] = "/etc/c.key",
            ["tls:ca_file"] = "/etc/ca.pem",
            ["tls:insecure"] = "false",
        }).Build();

        var options = TransportOptions.FromConfiguration(config);

        Assert.Equal(TransportKind.Tcp, options.Transport);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:8787"), options.BindEndPoint);
        Assert.Equal((ushort)7, options.ClusterId);
        Assert.True(options.Plaintext);
        Assert.Equal(2 * 1024 * 1024, options.MaxFrameSize);
        Assert.Equal(64, options.SendQueuePerPeer);
        Assert.Equal(32 * 1024, options.CoalesceBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.SendTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.IdleTimeout);
        Assert.Equal("/etc/ca.pem", options.TlsCaFile);
        Assert.True(options.HasCertificate);
    }

    [Fact]
    public void Certificate_without_key_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new TransportOptions { TlsCertFile = "c.pem" }.Validate());
        Assert.Contains("gossip.tls.key_file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_conf_documents_every_gossip_key_read()
    {
        var reference = File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "reference.conf"));
        foreach (var key in new[] { "transport", "plaintext", "max_frame_size", "send_queue_per_peer", "connect_timeout", "send_timeout", "idle_timeout", "cert_file", "key_file", "ca_file", "insecure", "coalesce_bytes", "receive_queue", "incoming_session_queue", "reconnect_backoff_min", "reconnect_backoff_max", "cluster_id" })
        {
            Assert.Contains(key + " =", reference, StringComparison.Ordinal);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "hocon", "reference.conf")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
