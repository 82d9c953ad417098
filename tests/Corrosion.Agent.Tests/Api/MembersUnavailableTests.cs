using System.Net;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Api;
using Corrosion.Agent.Membership;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Api;

/// <summary>GET /v1/members when the membership actor does not answer in time: 503 with a reason, not an internal error.</summary>
public sealed class MembersUnavailableTests
{
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

    private sealed class Silent : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }
}
