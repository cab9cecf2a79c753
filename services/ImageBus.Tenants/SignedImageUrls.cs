using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageBus.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ImageBus.Tenants;

/// <summary>Section <c>ImageUrls</c>: signed image links.</summary>
public sealed class ImageUrlOptions : IValidatableObject
{
    public const string Section = "ImageUrls";

    /// <summary>How long a link handed out in a status answer or a webhook works.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Base64 of at least 32 bytes, the same on every gateway and notifier. Unset (the usual case): the key in
    /// table signing_keys, written by whichever instance needed one first.</summary>
    public string? SigningKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SigningKey is not null && !(Base64.IsValid(SigningKey, out var length) && length >= 32))
        {
            yield return new ValidationResult("ImageUrls:SigningKey must be base64 of at least 32 bytes", [nameof(SigningKey)]);
        }
    }
}

/// <summary>Image links that work without an API key: <c>/v1/jobs/{job}/images/{item}?expires={unix seconds}&amp;signature={s}</c>,
/// s = base64url(HMAC-SHA256(key, path + "\n" + expires)). The path is rebuilt from the job and item ids (not taken from
/// the request), so a signature fits one image of one job and nothing else. The gateway signs and verifies, the notifier
/// signs (webhook payloads): both through this class, on the same key.</summary>
public sealed class ImageUrlSigner(NpgsqlDataSource database, IOptions<ImageUrlOptions> options, TimeProvider clock)
{
    public const string ExpiresParameter = "expires";
    public const string SignatureParameter = "signature";
    const string Purpose = "image-urls";

    byte[]? key = options.Value.SigningKey is { } configured ? Convert.FromBase64String(configured) : null;

    /// <summary>A signer for links expiring <see cref="ImageUrlOptions.Lifetime"/> from now.</summary>
    public async ValueTask<ImageUrls> CurrentAsync(CancellationToken cancellationToken) =>
        new(await KeyAsync(cancellationToken), clock.GetUtcNow() + options.Value.Lifetime);

    /// <summary>True when <paramref name="signature"/> was made for this job's image and <paramref name="expires"/> has not passed.</summary>
    public async ValueTask<bool> VerifyAsync(Guid jobId, string itemId, string? expires, string? signature, CancellationToken cancellationToken)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || expiresAt < clock.GetUtcNow().ToUnixTimeSeconds() || signature is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(ImageUrls.Sign(await KeyAsync(cancellationToken), jobId, itemId, expiresAt));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }

    async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken) => key ??= await LoadAsync(cancellationToken);

    /// <summary>The stored key, writing a random one first if there is none: the first writer wins, the rest read its row.</summary>
    async Task<byte[]> LoadAsync(CancellationToken cancellationToken)
    {
        // One statement; its snapshot may miss a row a concurrent first writer committed meanwhile, so it is asked again.
        while (true)
        {
            await using var command = database.CreateCommand("""
                WITH inserted AS (
                    INSERT INTO signing_keys (purpose, key, created_at) VALUES ($1, $2, now()) ON CONFLICT (purpose) DO NOTHING RETURNING key)
                SELECT key FROM inserted UNION ALL SELECT key FROM signing_keys WHERE purpose = $1 LIMIT 1
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = Purpose });
            command.Parameters.Add(new NpgsqlParameter { Value = RandomNumberGenerator.GetBytes(32) });
            if (await command.ExecuteScalarAsync(cancellationToken) is byte[] stored)
            {
                return stored;
            }
        }
    }
}

/// <summary>Signs image links with one key and one expiry (see <see cref="ImageUrlSigner"/>), for one answer or payload.</summary>
public sealed class ImageUrls(byte[] key, DateTimeOffset expiresAt)
{
    /// <summary>The signed path and query, relative to the gateway's base URL.</summary>
    public string For(Guid jobId, string itemId)
    {
        var expires = expiresAt.ToUnixTimeSeconds();
        return $"{JobImagePaths.For(jobId, itemId)}?{ImageUrlSigner.ExpiresParameter}={expires.ToString(CultureInfo.InvariantCulture)}"
            + $"&{ImageUrlSigner.SignatureParameter}={Sign(key, jobId, itemId, expires)}";
    }

    internal static string Sign(byte[] key, Guid jobId, string itemId, long expires) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key,
            Encoding.UTF8.GetBytes($"{JobImagePaths.For(jobId, itemId)}\n{expires.ToString(CultureInfo.InvariantCulture)}")));
}
