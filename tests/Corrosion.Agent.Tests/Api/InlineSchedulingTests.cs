using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// <c>api.inline_scheduling</c> reaches Kestrel's socket transport (a request processed in the work item that read
/// it, an answer sent by the thread that wrote it), and transactions are answered either way.
/// </summary>
public sealed class InlineSchedulingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_setting_reaches_the_socket_transport_and_transactions_are_answered(bool inline)
    {
        using var dir = new TempDirectory();
        var schema = dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);");
        var options = new NodeOptions();
        options.Db.Path = dir.File("node.db");
        options.Db.SchemaPaths.Add(schema);
        options.Api.Addr = "127.0.0.1:0";
        options.Api.InlineScheduling = inline;
        options.EnableReplication = false;
        await using var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = node.ApiAddress };

        var sockets = node.Api.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        var answers = await Task.WhenAll(Enumerable.Range(1, 32).Select(async i =>
        {
            using var content = new StringContent($$"""[["INSERT INTO items (id, name) VALUES (?, 'x')", [{{i}}]]]""", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
            return response.StatusCode;
        }));

        Assert.Equal(inline, sockets.UnsafePreferInlineScheduling);
        Assert.All(answers, status => Assert.Equal(System.Net.HttpStatusCode.OK, status));
    }

    [Fact]
    public void Inline_scheduling_is_on_by_default() => Assert.True(new NodeOptions().Api.InlineScheduling);
}
