using Akka.Actor;
using Akka.Hosting;
using Corrosion.Agent.Hosting;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Corrosion.Agent.Tests.Hosting;

/// <summary>The node on Akka.Hosting: its own actor system with the actor registry, or the host's actor system.</summary>
public sealed class EmbeddedAkkaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_node_actors_are_in_the_akka_hosting_registry()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var storage = await host.Host.Services.GetRequiredService<IRequiredActor<StorageActor>>().GetAsync();
        var registry = host.Host.Services.GetRequiredService<ActorRegistry>();

        Assert.Equal(host.Node.Actors.Storage.Untyped, storage);
        Assert.Equal(host.Node.Actors.Membership!.Untyped, registry.Get<MembershipActor>());
        Assert.Equal(host.Node.Actors.Subscriptions!.Untyped, registry.Get<SubscriptionActor>());
        Assert.Equal("/user/corrosion", registry.Get<NodeSupervisor>().Path.ToStringWithoutAddress());
        Assert.Equal(CorrosionNode.SystemName, host.Node.System.Name);
    }

    [Fact]
    public async Task A_service_running_akka_hosting_gets_the_node_in_its_own_actor_system()
    {
        using var dir = new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(EmbeddedHost.BaseSettings(dir));
        builder.Services
            .AddCorrosionNodeServices(builder.Configuration, options => options.EnableReplication = false)
            .AddAkka("orders", (akka, provider) => akka
                .WithActors((system, registry) => registry.Register<Echo>(system.ActorOf(Props.Create(() => new Echo()), "echo")))
                .WithCorrosionNode(provider));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var node = await host.Services.GetRequiredService<ICorrosionNodeAccessor>().GetNodeAsync();
            var system = host.Services.GetRequiredService<ActorSystem>();
            var echo = await host.Services.GetRequiredService<IRequiredActor<Echo>>().GetAsync();

            Assert.Same(system, node.System);
            Assert.Equal("akka://orders/user/corrosion/storage", node.Actors.Storage.Path.ToString());
            Assert.Equal("pong", await echo.Ask<string>("ping", Timeout));
            var client = host.Services.GetRequiredService<LocalCorrosionClient>();
            await client.ExecuteAsync(new Statement("INSERT INTO machines (id, region) VALUES ('m1', 'ams')"));
            var rows = new List<LocalRow>();
            await foreach (var row in client.QueryAsync(new Statement("SELECT id FROM machines")))
            {
                rows.Add(row);
            }

            Assert.Equal("m1", Assert.Single(rows)["id"].AsText);
        }
        finally
        {
            await host.StopAsync();
        }

        Assert.True(host.Services.GetRequiredService<ActorSystem>().WhenTerminated.IsCompleted);
    }

    [Fact]
    public async Task WithCorrosionNode_without_the_node_services_says_what_is_missing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("orders", (akka, provider) => akka.WithCorrosionNode(provider));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("AddCorrosionNodeServices", error.Message, StringComparison.Ordinal);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<string>(_ => Sender.Tell("pong"));
    }
}
