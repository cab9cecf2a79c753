namespace ImageBus.Contracts;

/// <summary>The charsets of the ids callers choose (tenant ids: <see cref="TenantIds"/>). Ids become parts of blob keys and URLs, so they are limited to
/// characters that mean the same everywhere (no escaping, no lossy cleaning): a valid id maps 1:1 to its key part.</summary>
public static class Identifiers
{
    /// <summary>The longest item id.</summary>
    public const int MaxLength = 64;

    /// <summary>1–64 of A–Z, a–z, 0–9, '.', '_', '-', and not <c>.</c> or <c>..</c>.</summary>
    public static bool IsItemId(string? value) =>
        value is { Length: > 0 and <= MaxLength } and not ("." or "..") && value.All(IsItemIdChar);

    static bool IsItemIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
