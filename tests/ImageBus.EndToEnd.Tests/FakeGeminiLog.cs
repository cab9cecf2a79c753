using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ImageBus.Testing;

namespace ImageBus.EndToEnd.Tests;

/// <summary>One entry of FakeGemini's request log (<c>GET /fake/requests</c>), as much as the tests read.</summary>
sealed record GeminiCall(string Method, string Path, string Model, string Prompt, IReadOnlyList<SentImage> InlineData);

/// <summary>An inlineData part as FakeGemini received it.</summary>
sealed record SentImage(string MimeType, int Length, string Sha256);

/// <summary>What FakeGemini was asked, read from its request log over HTTP.</summary>
static class FakeGeminiLog
{
    /// <summary>The generateContent calls FakeGemini logged whose prompt contains <paramref name="tag"/>, in order.</summary>
    public static async Task<List<GeminiCall>> CallsAsync(ImageBusCluster cluster, string tag)
    {
        return [.. (await AllAsync(cluster)).Where(c => c.Method == "POST" && c.Prompt?.Contains(tag, StringComparison.Ordinal) == true)];
    }

    /// <summary>Every request FakeGemini logged, in order.</summary>
    public static async Task<List<GeminiCall>> AllAsync(ImageBusCluster cluster)
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<List<GeminiCall>>($"{cluster.FakeGeminiUrl}/fake/requests", JsonSerializerOptions.Web))!;
    }

    public static SentImage Sent(byte[] bytes, string mimeType) => new(mimeType, bytes.Length, Convert.ToHexString(SHA256.HashData(bytes)));
}
