using System.ComponentModel.DataAnnotations;

namespace ImageBus.Tenants;

/// <summary>Section <c>Admin</c>: the keys that manage tenants and their keys. Configuration holds only their SHA-256
/// (lower-case hex of the whole key), so a leaked configuration file lets no one in.</summary>
public sealed class AdminOptions : IValidatableObject
{
    public const string Section = "Admin";

    /// <summary><c>Admin__ApiKeySha256__0</c>, …: <c>printf %s "$KEY" | sha256sum</c>. None: no admin key works. Empty
    /// entries are ignored, so a deployment can pass an unset variable.</summary>
    public string[] ApiKeySha256 { get; set; } = [];

    public IEnumerable<string> Hashes => ApiKeySha256.Where(h => !string.IsNullOrEmpty(h));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (hash, index) in ApiKeySha256.Select((h, i) => (h, i)))
        {
            if (hash.Length > 0 && (hash.Length != 64 || !hash.All(Uri.IsHexDigit)))
            {
                yield return new ValidationResult(
                    $"Admin:ApiKeySha256:{index} must be the 64 hex digits of a key's SHA-256", [nameof(ApiKeySha256)]);
            }
        }
    }
}
