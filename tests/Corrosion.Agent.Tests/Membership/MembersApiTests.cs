using System.Net;
using System.Text.Json;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Api;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Tests.Api;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Membership;

public sealed class MembersApiTests
{
    [Fact]
    public async Task Members_lists_this_node_first_marked_as_self()
    {
        await using var node = await TestNode.StartAsync();

        var members = await GetAsync(node, "/v1/members");

        var self = Assert.Single(members.EnumerateArray());
        Assert.True(self.GetProperty("self").GetBoolean());
        Assert.Equal(node.Node.ActorId.ToString(), self.GetProperty("id").GetString());
        Assert.Equal("alive", self.GetProperty("state").GetString());
        Assert.Equal(0, self.GetProperty("incarnation").GetInt64());
        Assert.Equal(JsonValueKind.Null, self.GetProperty("rtt_ms").ValueKind);
        Assert.StartsWith("127.0.0.1:", self.GetProperty("addr").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_nodes_joined_by_bootstrap_list_each_other_and_count_two_in_health()
    {
        await using var a = await TestNode.StartAsync(o => o.Membership = Fast([]));
        var aAddr = (await GetAsync(a, "/v1/members"))[0].GetProperty("addr").GetString()!;
        await using var b = await TestNode.StartAsync(o => o.Membership = Fast([aAddr]));

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonElement health;
        do
        {
            await Task.Delay(20);
            health = await GetAsync(a, "/v1/health");
        }
        while (health.GetProperty("response").GetProperty("members").GetInt32() != 2 && DateTime.UtcNow < until);

        Assert.Equal(2, health.GetProperty("response").GetProperty("members").GetInt32());
        var seenByA = (await GetAsync(a, "/v1/members")).EnumerateArray().ToList();
        Assert.Equal(2, seenByA.Count);
        Assert.Equal(b.Node.ActorId.ToString(), seenByA[1].GetProperty("id").GetString());
        Assert.False(seenByA[1].GetProperty("self").GetBoolean());
    }

    [Fact]
    public async Task Members_answer_503_when_membership_does_not_answer()
    {
        await using var node = await TestNode.StartAsync();
        var running = node.Node;
        // An actor that takes every message and answers none, standing in for a membership actor that is busy or restarting.
        var silent = running.System.ActorOf(Props.Create(() => new Silent()), "silent-membership").Typed<MembershipCommand>();
        var context = new ApiContext(running.Actors.Storage, running.Store, running.Options, _ => throw new InvalidOperationException(), silent);
        await using var api = ApiHost.Build(context, NullLoggerFactory.Instance, web => web.UseTestServer());
        await api.StartAsync();
        using var http = api.GetTestServer().CreateClient();

        var (status, body) = await HttpJson.GetAsync(http, "/v1/members");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("membership did not answer", body.GetProperty("error").GetString());
    }

    private static MembershipOptions Fast(string[] bootstrap) => new() { Swim = MembershipTestNode.FastSwim, Bootstrap = bootstrap };

    private static async Task<JsonElement> GetAsync(TestNode node, string path)
    {
        using var response = await node.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private sealed class Silent : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }
}
