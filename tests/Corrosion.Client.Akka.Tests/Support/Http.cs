using System.Net.Http.Json;
using System.Text.Json;

namespace Corrosion.Client.Akka.Tests.Support;

/// <summary>Writes through the node's HTTP API (the other way in), to check the two agree.</summary>
public static class Http
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(60) };

    public static async Task<JsonElement> ExecuteAsync(Uri api, string sql, params object[] parameters)
    {
        using var response = await Client.PostAsJsonAsync(new Uri(api, "/v1/transactions"), new object[] { new object[] { sql, parameters } });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    public static async Task<(int Status, string Error)> ExecuteRawAsync(Uri api, string sql)
    {
        using var response = await Client.PostAsJsonAsync(new Uri(api, "/v1/transactions"), new object[] { sql });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, body.TryGetProperty("error", out var e) ? e.GetString()! : body.ToString());
    }
}
