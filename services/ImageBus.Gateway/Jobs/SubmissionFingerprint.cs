using ImageBus.Api;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageBus.Gateway.Jobs;

/// <summary>The hash an idempotency key is stored with: SHA-256 over the canonical form of everything that defines the
/// job — the tenant, every request field but the key itself, and the SHA-256 of each uploaded file an item names — so a
/// repeat is recognised whatever the JSON's spacing or field order, and any change to the job is not.</summary>
static class SubmissionFingerprint
{
    public static string Of(string tenantId, SubmitJobRequest request, UploadCheck uploads)
    {
        var canonical = new Canonical(
            tenantId, request.CaseId, request.Items, request.ImageSize, request.WebhookUrl, request.DeadlineSeconds, request.WebhookEvents,
            request.Model,
            request.Mode,
            new SortedDictionary<string, string>(
                uploads.ByPart.ToDictionary(p => p.Key, p => Convert.ToHexStringLower(SHA256.HashData(p.Value.Bytes))), StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(canonical)));
    }

    /// <summary>Declared order is serialized order; the idempotency key is left out (it is what the hash is stored under).</summary>
    sealed record Canonical(
        string TenantId,
        string? CaseId,
        IReadOnlyList<SubmitJobItem?>? Items,
        int? ImageSize,
        string? WebhookUrl,
        int? DeadlineSeconds,
        IReadOnlyList<string>? WebhookEvents,
        string? Model,
        // Left out when absent, so a key stored before jobs had modes still matches its repeat.
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Mode,
        SortedDictionary<string, string> UploadSha256ByPart);
}
