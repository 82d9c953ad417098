using Corrosion.Agent.Node;
using Microsoft.Extensions.Configuration;
using static Corrosion.Agent.Tests.Support.NodeConfigFiles;

namespace Corrosion.Agent.Tests.Node;

public sealed class UnknownKeyTests
{
    [Fact]
    public void Corrosions_own_gossip_bootstrap_points_at_membership_bootstrap()
    {
        var error = LoadFails("# a node\ngossip {\n  bootstrap = [\"10.0.0.1:8787\", \"10.0.0.2:8787\"]\n}\n", out var file);

        Assert.Equal($"{file}:3:16: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?", error.Message);
    }

    [Theory]
    [InlineData("db.read_pool_sise = 2", "db.read_pool_sise", "db.read_pool_size")]
    [InlineData("membrship.profile = wan", "membrship", "membership")]
    [InlineData("api { adr = \"127.0.0.1:1\" }", "api.adr", "api.addr")]
    [InlineData("db.ReadPoolSize = 2", "db.ReadPoolSize", "db.read_pool_size")]
    [InlineData("gossip.sync.max-peers = 3", "gossip.sync.max-peers", "gossip.sync.max_peers")]
    [InlineData("gossip.fanout = 3", "gossip.fanout", "gossip.broadcast.fanout")]
    [InlineData("gossip.addr.port = 3", "gossip.addr.port", "gossip.addr")]
    public void An_unknown_key_is_refused_naming_the_line_and_the_closest_known_key(string line, string key, string closest)
    {
        var error = LoadFails("\n" + line + "\n", out var file);

        Assert.StartsWith($"{file}:2:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"unknown configuration key {key}; did you mean {closest}?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_with_nothing_close_lists_what_its_section_has()
    {
        var error = LoadFails("subscriptions.zzzzzzzzzzzz = 1", out _);

        Assert.Contains("unknown configuration key subscriptions.zzzzzzzzzzzz; subscriptions has path, batch_window", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_unknown_key_is_listed_on_its_own_line()
    {
        var error = LoadFails("db.pth = x\napi.adr = y\nmembership.bootstrap = []\n", out var file);

        var lines = error.Message.Split(Environment.NewLine);
        Assert.True(lines.Length == 2, error.Message);
        Assert.StartsWith($"{file}:1:", lines[0], StringComparison.Ordinal);
        Assert.Contains("did you mean db.path?", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{file}:2:", lines[1], StringComparison.Ordinal);
        Assert.Contains("did you mean api.addr?", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_in_an_included_file_names_that_file()
    {
        using var dir = new Support.TempDirectory();
        var common = dir.File("common.conf");
        File.WriteAllText(common, "gossip.cluster_id = 3\ngossip.bootstrap = []\n");
        var file = dir.File("node.conf");
        File.WriteAllText(file, "include required(\"common.conf\")\ndb.path = x.db\n");

        var error = Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(file));

        Assert.StartsWith($"{common}:2:", error.Message, StringComparison.Ordinal);
        Assert.Contains("gossip.bootstrap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overrides_given_in_code_are_checked_too()
    {
        var error = Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(null, [new("membership:bootstrapp", "a:1")]));

        Assert.Contains("membership.bootstrapp; did you mean membership.bootstrap?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_key_of_reference_conf_and_array_elements_are_accepted()
    {
        var keys = NodeConfiguration.KnownKeys;
        var settings = keys.All
            .Where(k => keys.KeysOf(k).Count == 0)
            .Select(k => KeyValuePair.Create(k.Replace('.', ':'), (string?)"x"))
            .Append(KeyValuePair.Create("membership:bootstrap:0", (string?)"127.0.0.1:1"))
            .Append(KeyValuePair.Create("db:schema_paths:1", (string?)"b.sql"))
            .ToList();
        var layer = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        Assert.True(settings.Count > 60, $"only {settings.Count} keys in reference.conf?");
        Assert.Empty(keys.FindUnknown(layer.Providers.Single()));
        NodeConfiguration.ThrowOnUnknownKeys(layer.Providers, sharedRoot: false);
    }

    [Fact]
    public void Null_defaults_are_known_keys_that_fall_back_to_the_profile()
    {
        Assert.Equal(5000, Loads("membership { profile = wan }").Membership.Swim.ProbeIntervalMs);
        Assert.Equal(4000, Loads("membership { profile = wan, probe_interval = 4s }").Membership.Swim.ProbeIntervalMs);
    }

    [Fact]
    public void The_akka_section_is_handed_on_unchecked()
    {
        Loads("akka {\n  loglevel = DEBUG\n  actor.default-mailbox { mailbox-type = \"Akka.Dispatch.UnboundedMailbox\" }\n}\n");
    }

    [Theory]
    [InlineData("api.authz.tokens = [ { name = ci, token_file = \"/run/ci\", scope = read, tables = [machines] } ]")]
    [InlineData("api.authz.tokens { ci { token = abc, scope = write } }")]
    public void Token_entries_are_free_form(string line)
    {
        var dir = new Support.TempDirectory();
        using (dir)
        {
            var file = dir.File("node.conf");
            File.WriteAllText(file, line);
            var root = NodeConfiguration.Build(file);
            Assert.NotEmpty(root.GetSection("api:authz:tokens").GetChildren());
        }
    }

    [Theory]
    [InlineData("single-node.conf")]
    [InlineData("cluster-node1.conf")]
    [InlineData("cluster-node2.conf")]
    [InlineData("cluster-node3.conf")]
    public void The_examples_use_known_keys_only(string example)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Corrosion.Actors.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        NodeConfiguration.Load(Path.Combine(root, "hocon", "examples", example));
    }
}

public sealed class SecretKeyTests
{
    [Theory]
    [InlineData("api:authz:bearer_tokens:0", true)]
    [InlineData("api:authz:tokens:0:token", true)]
    [InlineData("api:authz:tokens:ci:token", true)]
    [InlineData("akka:remote:dot-netty:tcp:ssl:certificate:password", true)]
    [InlineData("x:client_secret", true)]
    [InlineData("api:authz:tokens:0:token_file", false)]
    [InlineData("api:authz:tokens:0:scope", false)]
    [InlineData("gossip:tls:key_file", false)]
    [InlineData("db:path", false)]
    [InlineData("membership:bootstrap:0", false)]
    public void Tokens_passwords_and_secrets_are_masked_but_file_paths_are_not(string key, bool secret) =>
        Assert.Equal(secret, NodeConfiguration.IsSecret(key));
}
