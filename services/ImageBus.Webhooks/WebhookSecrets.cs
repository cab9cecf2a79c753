using System.Security.Cryptography;
using System.Text;

namespace ImageBus.Webhooks;

/// <summary>Standard Webhooks v1 secrets and signatures: a secret is <c>whsec_</c> + base64 of random
/// bytes; the signature is <c>v1,</c> + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) with the
/// key being the secret's base64-decoded bytes.</summary>
public static class WebhookSecrets
{
    public const string Prefix = "whsec_";
    const int SecretBytes = 32;

    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>A new secret; the current one (if any) keeps signing beside it until <paramref name="keepPrevious"/> has passed.</summary>
    public static (string Secret, string? Previous, DateTimeOffset? PreviousExpiresAt) Rotate(string? current, DateTimeOffset now, TimeSpan keepPrevious) =>
        string.IsNullOrEmpty(current) ? (Generate(), null, null) : (Generate(), current, now + keepPrevious);

    /// <summary>The <c>webhook-signature</c> header value: one space-separated <c>v1,</c> signature per secret.</summary>
    public static string SignatureHeader(IEnumerable<string> secrets, string webhookId, long timestamp, string body)
    {
        var signed = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}");
        return string.Join(' ', secrets.Select(secret =>
            "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), signed))));
    }

    /// <summary>The secrets that sign now: the current one, and the previous one until its rotation expiry.</summary>
    public static IReadOnlyList<string> Active(string? current, string? previous, DateTimeOffset? previousExpiresAt, DateTimeOffset now)
    {
        var active = new List<string>(2);
        if (current is not null)
        {
            active.Add(current);
        }

        if (previous is not null && previousExpiresAt > now)
        {
            active.Add(previous);
        }

        return active;
    }

    static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
}
