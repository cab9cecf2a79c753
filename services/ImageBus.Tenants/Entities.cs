namespace ImageBus.Tenants;

/// <summary>A customer of ImageBus: its id is the <c>tenantId</c> its jobs, blobs and webhooks carry.</summary>
public sealed class Tenant
{
    public string TenantId { get; set; } = "";
    public string? Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set once deleted: its keys no longer authenticate and its id is never given out again.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>One API key of a tenant: only its SHA-256 is kept; <see cref="KeyId"/> names it (it is part of the key, so a
/// key can be found, listed and revoked without anyone showing it).</summary>
public sealed class ApiKey
{
    public string KeyId { get; set; } = "";
    public string TenantId { get; set; } = "";
    public string? Name { get; set; }
    public byte[] KeyHash { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Updated at most once a minute per key and instance (see <see cref="ApiKeyAuthenticator"/>).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}
