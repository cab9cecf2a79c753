using ImageBus.Tenants;

namespace ImageBus.Gateway.Admin;

/// <summary>Body of <c>POST /v1/admin/tenants</c>.</summary>
public sealed record CreateTenantRequest(string? TenantId, string? Name = null);

public sealed record TenantResponse(string TenantId, string? Name, DateTimeOffset CreatedAt)
{
    public static TenantResponse From(Tenant t) => new(t.TenantId, t.Name, t.CreatedAt);
}

/// <summary>Body of <c>POST /v1/admin/tenants/{id}/keys</c> (optional): a name to tell keys apart.</summary>
public sealed record CreateApiKeyRequest(string? Name = null);

/// <summary>A key as listed: never the key itself.</summary>
public sealed record ApiKeyResponse(
    string KeyId, string TenantId, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public static ApiKeyResponse From(ApiKey k) => new(k.KeyId, k.TenantId, k.Name, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
}

/// <summary>Answer of creating a key: the only time the key is shown.</summary>
public sealed record CreatedApiKeyResponse(ApiKeyResponse ApiKey, string Key);
