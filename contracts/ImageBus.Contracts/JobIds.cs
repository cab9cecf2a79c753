using System.Security.Cryptography;
using System.Text;

namespace ImageBus.Contracts;

/// <summary>Job ids derived from an idempotency key, so that every service (and every upstream app
/// that publishes directly) maps the same tenant and key to the same job without asking anyone.</summary>
public static class JobIds
{
    /// <summary>A name-based (version 5 style) UUID of the tenant and key.</summary>
    public static Guid ForIdempotencyKey(string tenantId, string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"imagebus-job\n{tenantId}\n{idempotencyKey}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
