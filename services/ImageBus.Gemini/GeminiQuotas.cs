namespace ImageBus.Gemini;

/// <summary>Which window a quota a 429 names counts over. Quota ids are CamelCase
/// (<c>GenerateRequestsPerDayPerProjectPerModel</c>), metrics snake_case (<c>…_per_day</c>).</summary>
public static class GeminiQuotas
{
    public static bool IsPerDay(string? quota) => Names(quota, "perday");

    public static bool IsPerMinute(string? quota) => Names(quota, "perminute");

    private static bool Names(string? quota, string window) =>
        quota is not null && quota.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal)
            .Contains(window, StringComparison.OrdinalIgnoreCase);
}
