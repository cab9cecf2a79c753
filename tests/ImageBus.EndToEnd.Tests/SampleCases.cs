using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Cases to submit: the sample case shipped in deploy/, and variations of it.</summary>
static class SampleCases
{
    /// <summary>deploy/sample-case.json (10 evidence + 4 location items) with the given settings.</summary>
    public static JsonObject Detective(int imageSize, string? webhookUrl = null)
    {
        var json = File.ReadAllText(Path.Combine(ImageBus.Testing.RepositoryRoot.Path, "deploy", "sample-case.json"));
        var request = JsonNode.Parse(json)!.AsObject();
        request["imageSize"] = imageSize;
        request["caseId"] = $"case-{Guid.NewGuid():N}";
        if (webhookUrl is not null)
        {
            request["webhookUrl"] = webhookUrl;
        }

        return request;
    }

    /// <summary>Adds a FakeGemini fault marker to the description of the named items.</summary>
    public static JsonObject WithFault(this JsonObject request, string marker, params string[] itemIds)
    {
        foreach (var item in request["items"]!.AsArray().Select(i => i!.AsObject()).Where(i => itemIds.Contains((string?)i["itemId"])))
        {
            item["description"] = $"{(string?)item["description"]} {marker}";
        }

        return request;
    }

    /// <summary>Adds a FakeGemini fault marker to every item.</summary>
    public static JsonObject WithFaultOnAll(this JsonObject request, string marker) =>
        request.WithFault(marker, request["items"]!.AsArray().Select(i => (string)i!["itemId"]!).ToArray());

    /// <summary>A small case of a given tenant.</summary>
    public static JsonObject Small(string tenantId, int items) => new()
    {
        ["tenantId"] = tenantId,
        ["caseId"] = $"case-{Guid.NewGuid():N}",
        ["imageSize"] = 128,
        ["items"] = new JsonArray(Enumerable.Range(1, items).Select(i => (JsonNode)new JsonObject
        {
            ["itemId"] = $"item-{i}",
            ["kind"] = "evidence",
            ["name"] = $"Item {i}",
            ["description"] = "a small object",
        }).ToArray()),
    };

    public static IEnumerable<JsonElement> Images(this JsonElement status) => status.GetProperty("images").EnumerateArray();
}
