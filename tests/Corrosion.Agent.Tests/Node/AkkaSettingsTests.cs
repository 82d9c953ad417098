using Corrosion.Agent.Actors;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>The node's <c>akka</c> section, read by the node's HOCON parser and handed to Akka resolved.</summary>
public sealed class AkkaSettingsTests
{
    [Fact]
    public void Reference_conf_defines_every_mailbox_of_the_node_with_its_size()
    {
        var akka = AkkaSettings.Reference;

        AkkaSettings.RequireNodeMailboxes(akka);
        Assert.Equal(4096, akka.GetInt(NodeMailboxes.Storage + ".mailbox-capacity"));
        Assert.Equal(4096, akka.GetInt(NodeMailboxes.Gossip + ".mailbox-capacity"));
        Assert.Equal(1024, akka.GetInt(NodeMailboxes.MemberEvents + ".mailbox-capacity"));
        Assert.Equal(TimeSpan.FromSeconds(10), akka.GetTimeSpan(NodeMailboxes.Storage + ".mailbox-push-timeout-time"));
        Assert.StartsWith("Corrosion.Agent.Actors.DropOldestMailbox", akka.GetString(NodeMailboxes.MemberEvents + ".mailbox-type"), StringComparison.Ordinal);
        Assert.Equal(["Corrosion.Agent.Actors.AkkaLogBridge, Corrosion.Agent"], akka.GetStringList("akka.loggers"));
        Assert.Equal("OFF", akka.GetString("akka.stdout-loglevel"));
    }

    [Fact]
    public void Akka_defaults_fill_in_what_the_node_does_not_set()
    {
        Assert.Equal(512, AkkaSettings.Reference.GetInt("akka.scheduler.ticks-per-wheel"));
        Assert.Equal("Akka.Dispatch.UnboundedMailbox", AkkaSettings.Reference.GetString("akka.actor.default-mailbox.mailbox-type"));
    }

    [Fact]
    public void A_user_file_sets_akka_keys_with_the_nodes_hocon_features()
    {
        using var dir = new TempDirectory();
        var included = dir.File("akka-extra.conf");
        File.WriteAllText(included, "akka.actor.debug.receive = on\n");
        var file = dir.File("node.conf");
        File.WriteAllText(file, $$"""
            include "{{included}}"
            db.path = "/var/lib/corrosion/node.db"
            akka {
              loglevel = DEBUG
              # a substitution from the node's own keys, and an optional environment variable that is not set
              test-marker = ${db.path}
              log-dead-letters = ${?CORROSION_TEST_SURELY_UNSET}
              corrosion.storage-mailbox.mailbox-capacity = 100
            }
            """);

        var akka = NodeConfiguration.Load(file).Akka;

        Assert.Equal("DEBUG", akka.GetString("akka.loglevel"));
        Assert.True(akka.GetBoolean("akka.actor.debug.receive"));
        Assert.Equal("/var/lib/corrosion/node.db", akka.GetString("akka.test-marker"));
        Assert.Equal(10, akka.GetInt("akka.log-dead-letters"));
        Assert.Equal(100, akka.GetInt(NodeMailboxes.Storage + ".mailbox-capacity"));
        Assert.Equal(8192, akka.GetInt(NodeMailboxes.Subscriptions + ".mailbox-capacity"));
    }

    [Fact]
    public void Overrides_and_environment_style_keys_reach_akka()
    {
        var akka = NodeConfiguration.Load(null, [new("akka:loglevel", "ERROR")]).Akka;

        Assert.Equal("ERROR", akka.GetString("akka.loglevel"));
    }

    [Fact]
    public void Arrays_paths_and_quoted_keys_keep_their_shape()
    {
        using var dir = new TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, """
            akka.extensions = ["One, Assembly", "Two, Assembly"]
            akka.actor.deployment { "/corrosion/storage" { dispatcher = "my-dispatcher" } }
            akka.quoted { "a.b" = 1 }
            """);

        var akka = NodeConfiguration.Load(file).Akka;

        Assert.Equal(["One, Assembly", "Two, Assembly"], akka.GetStringList("akka.extensions"));
        Assert.Equal("my-dispatcher", akka.GetConfig("akka.actor.deployment").GetConfig("\"/corrosion/storage\"").GetString("dispatcher"));
        Assert.Equal(1, akka.GetConfig("akka.quoted").GetInt("\"a.b\""));
    }

    [Fact]
    public async Task A_node_without_akka_api_binds_akkas_json_slot_to_the_refusing_serializer()
    {
        var options = new NodeOptions();
        Assert.False(options.AkkaApi.Enabled);
        using (var system = Akka.Actor.ActorSystem.Create("no-json", Corrosion.Agent.ClientGateway.ClientGatewaySettings.ActorSystemConfig(options)))
        {
            var serializer = system.Serialization.FindSerializerForType(typeof(object));
            Assert.IsType<Corrosion.Client.Akka.Protocol.RefusedSerializer>(serializer);
            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.ToBinary("x"));
            await system.Terminate();
        }

        // Asked to serialize local messages (a debugging setting), the node keeps Akka's own serializer.
        options.Akka = Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.serialize-messages = on").WithFallback(AkkaSettings.Reference);
        using (var system = Akka.Actor.ActorSystem.Create("json", Corrosion.Agent.ClientGateway.ClientGatewaySettings.ActorSystemConfig(options)))
        {
            Assert.IsType<Akka.Serialization.NewtonSoftJsonSerializer>(system.Serialization.FindSerializerForType(typeof(object)));
            await system.Terminate();
        }
    }
}
