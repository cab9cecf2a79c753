using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ImageBus.Tenants;

/// <summary>The API key format: <c>ibk_{key id}_{secret}</c>. The key id (12 hex characters) is public — it names the key
/// in lists, logs and the revoke call; the secret is 32 random bytes (256 bits) as base64url.</summary>
public static class ApiKeys
{
    public const string Prefix = "ibk_";
    const int KeyIdBytes = 6;
    const int SecretBytes = 32;

    /// <summary>A new key and its id; the key is shown to its owner once and only its <see cref="Hash"/> is kept.</summary>
    public static (string KeyId, string Key) Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdBytes));
        return (keyId, $"{Prefix}{keyId}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes))}");
    }

    /// <summary>The key id a presented key claims, or null when it is not shaped like a key.</summary>
    public static string? KeyIdOf(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = key.AsSpan(Prefix.Length);
        var separator = rest.IndexOf('_');
        return separator == KeyIdBytes * 2 && rest.Length > separator + 1 && IsHex(rest[..separator]) ? rest[..separator].ToString() : null;
    }

    /// <summary>SHA-256 of the whole key. A plain hash is enough here (no salt, no slow KDF): the secret is 256 random bits,
    /// so there is no dictionary to try and no brute force to slow down, and checking a key costs one hash per request.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
