using System.Globalization;
using System.Text.RegularExpressions;

namespace ImageBus.FakeGemini;

/// <summary>Markers a prompt may carry to script the fake's answer to that generateContent call. They combine
/// (e.g. <c>[fake:latency=50][fake:error=503]</c>); a marker the fake does not know is answered with HTTP 400 so
/// that a typo cannot pass as a success.</summary>
public static partial class FakeGeminiMarkers
{
    /// <summary><c>[fake:latency=MS]</c>: answer after MS milliseconds instead of the configured latency.</summary>
    public const string Latency = "latency";

    /// <summary><c>[fake:hang]</c>: never answer; the call ends only when the client aborts it.</summary>
    public const string Hang = "hang";

    /// <summary><c>[fake:error=STATUS]</c>: fail with that HTTP status in Google's error shape. 429 carries
    /// RESOURCE_EXHAUSTED with RetryInfo <c>retryDelay: "1s"</c> and <c>Retry-After: 1</c>; 400 INVALID_ARGUMENT,
    /// 500 INTERNAL, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED and so on.</summary>
    public const string Error = "error";

    /// <summary><c>[fake:safety]</c>: HTTP 200, a candidate with finishReason IMAGE_SAFETY and no image.</summary>
    public const string Safety = "safety";

    /// <summary><c>[fake:blocked]</c>: HTTP 200, no candidates, promptFeedback.blockReason PROHIBITED_CONTENT.</summary>
    public const string Blocked = "blocked";

    /// <summary><c>[fake:no-image]</c>: HTTP 200 with a single text part and finishReason STOP.</summary>
    public const string NoImage = "no-image";

    /// <summary><c>[fake:corrupt]</c>: HTTP 200 with inlineData image/png that is the PNG signature and garbage.</summary>
    public const string Corrupt = "corrupt";

    /// <summary><c>[fake:text-error=STATUS]</c>: a text-output call (<c>responseModalities</c> TEXT only, such as a staged
    /// item's analysis) fails as <c>[fake:error=STATUS]</c> would; image calls with the same marker are answered as usual.</summary>
    public const string TextError = "text-error";

    /// <summary><c>[fake:fail-first=N:STATUS]</c>: the first N calls with this exact prompt fail as
    /// <c>[fake:error=STATUS]</c> would; later ones succeed. Counted per prompt for the fake's lifetime.</summary>
    public const string FailFirst = "fail-first";

    /// <summary><c>[fake:quota=minute]</c>: HTTP 429 RESOURCE_EXHAUSTED as Gemini's per-minute quota answers it: a
    /// QuotaFailure naming <c>GenerateRequestsPerMinutePerProjectPerModel</c> and a RetryInfo of
    /// <see cref="MinuteQuotaRetryDelay"/>, no Retry-After header. <c>[fake:quota=day]</c>: the per-day quota
    /// (<c>GenerateRequestsPerDayPerProjectPerModel</c>) with a short RetryInfo of <see cref="DayQuotaRetryDelay"/>, so a
    /// client that trusts the delay alone retries in vain. <c>[fake:quota=KIND:N]</c>: only the first N calls with
    /// this exact prompt, later ones succeed.</summary>
    public const string Quota = "quota";

    /// <summary><c>[fake:batch=expire]</c> or <c>[fake:batch=fail]</c> in any request of a batch: the whole batch ends
    /// JOB_STATE_EXPIRED (no results) or JOB_STATE_FAILED instead of succeeding. A live call ignores it, so the same
    /// prompt sent live afterwards is answered.</summary>
    public const string Batch = "batch";

    /// <summary>The RetryInfo delay of <c>[fake:quota=minute]</c>, as Google writes it.</summary>
    public const string MinuteQuotaRetryDelay = "45.837906927s";

    /// <summary>The RetryInfo delay of <c>[fake:quota=day]</c>.</summary>
    public const string DayQuotaRetryDelay = "21s";

    /// <summary>The markers found in <paramref name="prompt"/>, or an error message for one it cannot read.</summary>
    internal static FakeScript Parse(string prompt)
    {
        var script = new FakeScript();
        foreach (Match match in MarkerPattern().Matches(prompt))
        {
            var name = match.Groups["name"].Value;
            var value = match.Groups["value"].Success ? match.Groups["value"].Value : null;
            script = (name, value) switch
            {
                (Latency, { } ms) when int.TryParse(ms, CultureInfo.InvariantCulture, out var latency) && latency >= 0
                    => script with { LatencyMs = latency },
                (Hang, null) => script with { Hang = true },
                (Error, { } code) when TryStatus(code, out var status) => script with { ErrorStatus = status },
                (TextError, { } code) when TryStatus(code, out var status) => script with { TextErrorStatus = status },
                (Safety, null) => script with { Safety = true },
                (Blocked, null) => script with { Blocked = true },
                (NoImage, null) => script with { NoImage = true },
                (Corrupt, null) => script with { Corrupt = true },
                (FailFirst, { } spec) when spec.Split(':') is [var n, var code]
                                           && int.TryParse(n, CultureInfo.InvariantCulture, out var count) && count >= 0
                                           && TryStatus(code, out var status)
                    => script with { FailFirstCount = count, FailFirstStatus = status },
                (Batch, "expire") => script with { BatchEnd = FakeBatchEnd.Expired },
                (Batch, "fail") => script with { BatchEnd = FakeBatchEnd.Failed },
                (Quota, { } spec) when TryQuota(spec, out var window, out var quotaCalls)
                    => script with { QuotaWindow = window, QuotaCalls = quotaCalls },
                _ => script with { Invalid = match.Value },
            };
            script = script with { Summary = script.Summary.Length == 0 ? match.Value : script.Summary + match.Value };
        }

        return script;
    }

    private static bool TryQuota(string spec, out FakeQuotaWindow window, out int? calls)
    {
        (window, calls) = (FakeQuotaWindow.Minute, null);
        var parts = spec.Split(':');
        if (parts.Length > 2 || (parts.Length == 2 && !(int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) && n >= 0)))
        {
            return false;
        }

        calls = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null;
        switch (parts[0])
        {
            case "minute":
                window = FakeQuotaWindow.Minute;
                return true;
            case "day":
                window = FakeQuotaWindow.Day;
                return true;
            default:
                return false;
        }
    }

    private static bool TryStatus(string text, out int status) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out status) && status is >= 400 and <= 599;

    /// <summary><paramref name="prompt"/> without its markers.</summary>
    internal static string Strip(string prompt) => MarkerPattern().Replace(prompt, "");

    [GeneratedRegex(@"\[fake:(?<name>[a-z-]+)(?:=(?<value>[^\]]*))?\]")]
    private static partial Regex MarkerPattern();
}

/// <summary>What the markers of one prompt ask for.</summary>
internal sealed record FakeScript
{
    public int? LatencyMs { get; init; }
    public bool Hang { get; init; }
    public int? ErrorStatus { get; init; }

    /// <summary>The status a text-output call fails with (<c>[fake:text-error]</c>).</summary>
    public int? TextErrorStatus { get; init; }
    public bool Safety { get; init; }
    public bool Blocked { get; init; }
    public bool NoImage { get; init; }
    public bool Corrupt { get; init; }
    public int FailFirstCount { get; init; }
    public int FailFirstStatus { get; init; }

    /// <summary>Which quota <c>[fake:quota=…]</c> plays out, if any.</summary>
    public FakeQuotaWindow? QuotaWindow { get; init; }

    /// <summary>How many calls with this prompt hit the quota; null = all.</summary>
    public int? QuotaCalls { get; init; }

    /// <summary>How a batch holding this request ends instead of succeeding (<c>[fake:batch=…]</c>).</summary>
    public FakeBatchEnd? BatchEnd { get; init; }

    /// <summary>The first marker the fake could not read, if any.</summary>
    public string? Invalid { get; init; }

    /// <summary>All markers as written, for the request log.</summary>
    public string Summary { get; init; } = "";
}

/// <summary>The window of a Gemini quota the fake plays.</summary>
internal enum FakeQuotaWindow
{
    Minute,
    Day,
}

/// <summary>How a batch ends once it has run.</summary>
internal enum FakeBatchEnd
{
    Succeeded,
    Failed,
    Expired,
}
