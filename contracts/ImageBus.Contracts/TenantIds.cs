namespace ImageBus.Contracts;

/// <summary>The one rule for a tenant id, wherever one arrives (admin API, job submissions, the bus): 1–64 characters of
/// lower-case letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit — safe in blob keys,
/// URLs and log lines as it is, with nothing to clean.</summary>
public static class TenantIds
{
    public const int MaxLength = 64;

    public const string Rule = "1–64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string? tenantId) =>
        tenantId is { Length: > 0 and <= MaxLength }
        && IsLetterOrDigit(tenantId[0])
        && tenantId.All(c => IsLetterOrDigit(c) || c is '.' or '_' or '-');

    static bool IsLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
