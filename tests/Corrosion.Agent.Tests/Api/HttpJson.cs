using System.Net;
using System.Text;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Api;

/// <summary>Small helpers to post JSON text and read JSON or NDJSON answers.</summary>
public static class HttpJson
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Parse(text));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Parse(text));
    }

    public static async Task<(HttpStatusCode Status, List<JsonElement> Lines)> PostNdJsonAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
        return (response.StatusCode, lines);
    }

    private static JsonElement Parse(string text) =>
        string.IsNullOrWhiteSpace(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
}
