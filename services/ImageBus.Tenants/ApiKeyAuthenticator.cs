using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Tenants;

/// <summary>Who a presented key is: a tenant's key (<see cref="TenantId"/> set) or an admin key (<see cref="TenantId"/> null).</summary>
public sealed record ApiKeyIdentity(string KeyId, string? TenantId)
{
    public bool IsAdmin => TenantId is null;
}

/// <summary>Checks a presented API key: an admin key from configuration, or a tenant's key that is neither revoked nor
/// of a deleted tenant. Looked up on every request (one primary-key read), so a revocation counts at once.</summary>
public sealed class ApiKeyAuthenticator(IDbContextFactory<TenantsDbContext> contexts, IOptions<AdminOptions> admin, TimeProvider clock)
{
    /// <summary>How often one instance records a key's last use: a write per minute at most, not one per request.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    readonly byte[][] adminHashes = [.. admin.Value.Hashes.Select(Convert.FromHexString)];
    readonly ConcurrentDictionary<string, DateTimeOffset> recordedUse = new();

    public async Task<ApiKeyIdentity?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(key);
        if (adminHashes.Any(adminHash => CryptographicOperations.FixedTimeEquals(adminHash, hash)))
        {
            // Named by a hash prefix: enough to tell configured admin keys apart in logs, useless for guessing.
            return new ApiKeyIdentity($"admin-{Convert.ToHexStringLower(hash)[..8]}", null);
        }

        if (ApiKeys.KeyIdOf(key) is not { } keyId)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyId == keyId && k.RevokedAt == null && db.Tenants.Any(t => t.TenantId == k.TenantId && t.DeletedAt == null))
            .Select(k => new { k.TenantId, k.KeyHash })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null || !CryptographicOperations.FixedTimeEquals(found.KeyHash, hash))
        {
            return null;
        }

        await RecordUseAsync(db, keyId, cancellationToken);
        return new ApiKeyIdentity(keyId, found.TenantId);
    }

    async Task RecordUseAsync(TenantsDbContext db, string keyId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (recordedUse.TryGetValue(keyId, out var recorded) && now - recorded < LastUsedResolution)
        {
            return;
        }

        recordedUse[keyId] = now;
        await db.ApiKeys.Where(k => k.KeyId == keyId).ExecuteUpdateAsync(k => k.SetProperty(x => x.LastUsedAt, now), cancellationToken);
    }
}
