using System.Text;

namespace ImageBus.Storage;

/// <summary>Blob keys for images: tenant / job / item / attempt. Segments come from callers, so
/// every character outside [A-Za-z0-9._-] is replaced and no segment can climb out of the store.</summary>
public static class BlobKeys
{
    public static string ForImage(string tenantId, Guid jobId, string itemId, int attempt, string variant) =>
        $"{Segment(tenantId)}/{jobId:N}/{Segment(itemId)}/attempt-{attempt}/{Segment(variant)}";

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
