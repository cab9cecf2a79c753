using System.Text;

namespace ImageBus.Storage;

/// <summary>Blob keys for images: tenant / job / item / attempt. Segments come from callers, so
/// every character outside [A-Za-z0-9._-] is replaced and no segment can climb out of the store.</summary>
public static class BlobKeys
{
    public static string ForImage(string tenantId, Guid jobId, string itemId, int attempt, string variant) =>
        $"{ForJob(tenantId, jobId)}{Segment(itemId)}/attempt-{attempt}/{Segment(variant)}";

    /// <summary>Everything stored for one job (every item, attempt and variant): a prefix for <see cref="IBlobStore.DeleteAsync"/>.</summary>
    public static string ForJob(string tenantId, Guid jobId) => $"{Segment(tenantId)}/{jobId:N}/";

    /// <summary>A new key for a source image uploaded with a case: a random id under <see cref="UploadPrefix"/>, so two
    /// uploads never share a key and no key can be guessed from another. Image keys never collide with it: their second
    /// segment is a job id.</summary>
    public static string ForUpload(string tenantId) => $"{UploadPrefix(tenantId)}{Guid.NewGuid():N}";

    /// <summary>Where a tenant's uploads are: <c>{tenant}/uploads/</c>.</summary>
    public static string UploadPrefix(string tenantId) => $"{Segment(tenantId)}/uploads/";

    /// <summary>Whether <paramref name="key"/> is one of <see cref="ForUpload"/>'s keys for <paramref name="tenantId"/>:
    /// the prefix and one id, nothing that could lead elsewhere.</summary>
    public static bool IsUploadOf(string tenantId, string key)
    {
        var prefix = UploadPrefix(tenantId);
        return key.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParseExact(key[prefix.Length..], "N", out _);
    }

    static string Segment(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        var segment = builder.ToString().Trim('.');
        return segment.Length == 0 ? "_" : segment;
    }
}
