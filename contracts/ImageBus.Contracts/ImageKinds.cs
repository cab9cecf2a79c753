namespace ImageBus.Contracts;

/// <summary>The kinds of image a case item may ask for. Kept as strings on the wire so that an
/// unknown kind from an upstream app is a validation error, not a deserialization fault.</summary>
public static class ImageKinds
{
    public const string Evidence = "evidence";
    public const string Location = "location";
    public const string Custom = "custom";

    /// <summary>Two Gemini calls: a text call analyses the item's source image, then the new image is generated from that
    /// analysis with the source image beside it. Needs a source image (URL or upload).</summary>
    public const string Staged = "staged";

    public static IReadOnlyList<string> All { get; } = [Evidence, Location, Custom, Staged];
}

/// <summary>The step a staged image is in (<see cref="ImageKinds.Staged"/>); other images have none.</summary>
public static class ImageSteps
{
    /// <summary>Gemini is analysing the source image (step 1, a text call).</summary>
    public const string Analysing = "analysing";

    /// <summary>The analysis is known; Gemini is generating the new image from it (step 2).</summary>
    public const string Generating = "generating";
}

/// <summary>How a job's images reach Gemini (<see cref="GenerateCaseImages.Mode"/>).</summary>
public static class GenerationModes
{
    /// <summary>One Gemini call per image, at once.</summary>
    public const string Live = "live";

    /// <summary>Through Gemini's Batch API: half the live price, results within hours (Google targets 24).</summary>
    public const string Batch = "batch";

    /// <summary>Batch when the job's deadline is at least the batch turnaround, else live.</summary>
    public const string Auto = "auto";

    public static IReadOnlyList<string> All { get; } = [Live, Batch, Auto];
}

/// <summary>Aspect ratios Gemini's image models accept. Not every model takes every one: 1:4, 4:1, 1:8 and 8:1 only
/// Gemini 3.1 Flash Image does.</summary>
public static class AspectRatios
{
    public const string Square = "1:1";

    public static IReadOnlyList<string> All { get; } =
        ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1", "1:8", "8:1"];
}

/// <summary>Lifecycle states of a job, as stored and as reported to subscribers.</summary>
public static class JobStatuses
{
    public const string Accepted = "accepted";
    public const string Pending = "pending";
    public const string Generating = "generating";
    public const string Completed = "completed";
    public const string Partial = "partial";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Rejected = "rejected";

    public static IReadOnlyList<string> All { get; } = [Accepted, Pending, Generating, Completed, Partial, Failed, Cancelled, Rejected];
}

/// <summary>States of one image of a job.</summary>
public static class ImageStatuses
{
    public const string Queued = "queued";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string TimedOut = "timed_out";
    public const string Cancelled = "cancelled";
}
