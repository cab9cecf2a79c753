using ImageBus.Contracts;

namespace ImageBus.Storage;

/// <summary>Blob keys for images: tenant / job / item / attempt. Ids are used as they are, never cleaned: the case
/// validator admits only ids of <see cref="Identifiers"/>' charsets, so distinct ids give distinct keys, and an id that
/// could climb out of the store or mean something else to a file system or S3 never gets here (it is refused, not
/// rewritten). Item ids are unique case-insensitively within a job, so case-insensitive stores are safe too.</summary>
public static class BlobKeys
{
    public static string ForImage(string tenantId, Guid jobId, string itemId, int attempt, string variant) =>
        $"{ForJob(tenantId, jobId)}{Item(itemId)}/attempt-{attempt}/{Item(variant)}";

    /// <summary>Everything stored for one job (every item, attempt and variant): a prefix for <see cref="IBlobStore.DeleteAsync"/>.</summary>
    public static string ForJob(string tenantId, Guid jobId) => $"{Tenant(tenantId)}/{jobId:N}/";

    /// <summary>A new key for a source image uploaded with a case: a random id under <see cref="UploadPrefix"/>, so two
    /// uploads never share a key and no key can be guessed from another. Image keys never collide with it: their second
    /// segment is a job id.</summary>
    public static string ForUpload(string tenantId) => $"{UploadPrefix(tenantId)}{Guid.NewGuid():N}";

    /// <summary>Where a tenant's uploads are: <c>{tenant}/uploads/</c>.</summary>
    public static string UploadPrefix(string tenantId) => $"{Tenant(tenantId)}/uploads/";

    /// <summary>Whether <paramref name="key"/> is one of <see cref="ForUpload"/>'s keys for <paramref name="tenantId"/>:
    /// the prefix and one id, nothing that could lead elsewhere.</summary>
    public static bool IsUploadOf(string tenantId, string key) =>
        TenantIds.IsValid(tenantId) && key.StartsWith(UploadPrefix(tenantId), StringComparison.Ordinal)
        && Guid.TryParseExact(key[UploadPrefix(tenantId).Length..], "N", out _);

    static string Tenant(string tenantId) => TenantIds.IsValid(tenantId)
        ? tenantId
        : throw new ArgumentException("A tenant id outside the tenant id charset cannot be part of a blob key.", nameof(tenantId));

    static string Item(string segment) => Identifiers.IsItemId(segment)
        ? segment
        : throw new ArgumentException("An id outside the item id charset cannot be part of a blob key.", nameof(segment));
}
