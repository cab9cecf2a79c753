namespace ImageBus.Contracts;

/// <summary>Where the gateway serves a job's image: one format for the API's status answers and the webhooks.</summary>
public static class JobImagePaths
{
    /// <summary>The path, relative to the gateway's base URL.</summary>
    public static string For(Guid jobId, string itemId) => $"/v1/jobs/{jobId}/images/{Uri.EscapeDataString(itemId)}";
}
