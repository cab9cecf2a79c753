using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

/// <summary>Commands and worker results for the specs.</summary>
public static class Cases
{
    public const string TenantId = "tenant-a";
    public const string CaseId = "case-7";
    public const string WebhookUrl = "https://hooks.example.test/jobs";

    /// <summary>For <see cref="Results"/>: every image generated.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoFailures = new Dictionary<string, string>();

    static readonly string[] EvidenceRatios = ["1:1", "3:4", "16:9", "4:3", "9:16"];

    /// <summary>A valid case of 10 evidence and 4 location images at the default image size.</summary>
    public static GenerateCaseImages Valid(Guid jobId) => new(jobId, TenantId, CaseId, Items(10, 4), WebhookUrl: WebhookUrl);

    /// <summary>Evidence items cycle through several aspect ratios; the last location item has none (1:1 applies).</summary>
    public static IReadOnlyList<CaseImageItem> Items(int evidence, int locations) =>
    [
        .. Enumerable.Range(1, evidence).Select(n => Evidence(n, EvidenceRatios[(n - 1) % EvidenceRatios.Length])),
        .. Enumerable.Range(1, locations).Select(n => new CaseImageItem(
            $"location-{n:00}", ImageKinds.Location, $"Location {n}", $"A room of the manor, view {n}",
            AspectRatio: n == locations ? null : "16:9")),
    ];

    public static CaseImageItem Evidence(int n, string? aspectRatio = "1:1") =>
        new($"evidence-{n:00}", ImageKinds.Evidence, $"Evidence {n}", $"Clue number {n} on a desk", AspectRatio: aspectRatio);

    /// <summary>One worker result per item of <paramref name="job"/> except the <paramref name="unanswered"/> ones:
    /// a failure with the given code for the items in <paramref name="failures"/>, a stored image for the others.</summary>
    public static IEnumerable<object> Results(GenerateCaseImages job, IReadOnlyDictionary<string, string> failures, params string[] unanswered) =>
        job.Items.Where(item => !unanswered.Contains(item.ItemId)).Select(item => failures.TryGetValue(item.ItemId, out var code)
            ? (object)Failed(job.JobId, item.ItemId, code)
            : Generated(job.JobId, item.ItemId));

    public static ImageGenerated Generated(Guid jobId, string itemId, int attempt = 1) =>
        new(jobId, itemId, attempt, $"jobs/{jobId}/{itemId}.jpg", 1024, 1024, 123_456, "gemini-test", JobHarness.Now);

    public static ImageGenerationFailed Failed(Guid jobId, string itemId, string errorCode, int attempt = 1) =>
        new(jobId, itemId, attempt, errorCode, $"{errorCode} for {itemId}", false, 1, JobHarness.Now);
}
