using System.Buffers.Text;
using System.Globalization;

namespace ImageBus.Gateway;

/// <summary>The opaque cursor of keyset-paged lists (jobs, dead letters): the last item's time (UTC ticks) and id,
/// base64url, after which the next page starts.</summary>
static class KeysetCursor
{
    public static string Write(DateTimeOffset at, Guid id) =>
        Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{id:N}"));

    /// <summary>The position, or null for a string this API did not give.</summary>
    public static (DateTimeOffset At, Guid Id)? Read(string cursor)
    {
        try
        {
            var parts = System.Text.Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)).Split('.');
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is > 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[1], "N", out var id)
                ? (new DateTimeOffset(ticks, TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
