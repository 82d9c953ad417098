using Corrosion.Client.Akka.Protocol;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>The gateway asks for the same bearer tokens as the HTTP API, with the same refusal.</summary>
public sealed class AuthorizationProcessTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));
    private AgentProcess _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentProcess.StartAsync(_dir, """
        api.authz {
          bearer_tokens = ["full-secret"]
          tokens = [{ name = "reader", token = "read-secret", scope = read }]
        }
        """);

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task A_request_without_a_valid_token_is_refused_with_the_http_message()
    {
        await using var anonymous = ClientSystem.Start(_agent.AkkaAddress);
        await using var wrong = ClientSystem.Start(_agent.AkkaAddress, token: "guess");

        var none = await Assert.ThrowsAsync<CorrosionAkkaException>(() => anonymous.Client.ExecuteAsync("INSERT INTO machines (id) VALUES ('x')"));
        var bad = await Assert.ThrowsAsync<CorrosionAkkaException>(() => wrong.Client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines")));
        var (status, httpError) = await Http.ExecuteRawAsync(_agent.ApiAddress, "SELECT 1");

        Assert.Equal(401, status);
        Assert.Equal(ClientErrorCode.Unauthorized, none.Code);
        Assert.Equal(httpError, none.Message);
        Assert.Equal(ClientErrorCode.Unauthorized, bad.Code);
        Assert.Equal(httpError, bad.Message);
    }

    [Fact]
    public async Task A_valid_token_is_served_within_its_scope()
    {
        await using var full = ClientSystem.Start(_agent.AkkaAddress, token: "full-secret");
        await using var reader = ClientSystem.Start(_agent.AkkaAddress, token: "read-secret");

        var committed = await full.Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "authz-1", "ams");
        var rows = await reader.Client.QueryAsync("SELECT id FROM machines WHERE id = ?", "authz-1").ToListAsync();
        var refused = await Assert.ThrowsAsync<CorrosionAkkaException>(() => reader.Client.ExecuteAsync("INSERT INTO machines (id) VALUES ('authz-2')"));

        Assert.NotNull(committed.Version);
        Assert.Single(rows);
        Assert.Equal(ClientErrorCode.Forbidden, refused.Code);
        Assert.Contains("needs write", refused.Message, StringComparison.Ordinal);
    }
}
