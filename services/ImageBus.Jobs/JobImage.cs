using ImageBus.Contracts;

namespace ImageBus.Jobs;

/// <summary>One image of a job: what was asked for and what became of it.</summary>
public sealed class JobImage
{
    public Guid JobId { get; set; }
    public string ItemId { get; set; } = "";

    /// <summary>The item's place in the request, so that reports keep the caller's order.</summary>
    public int Position { get; set; }

    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string? Prompt { get; set; }
    public string AspectRatio { get; set; } = AspectRatios.Square;

    /// <summary>The image to edit or enhance, as the case gave it; the worker fetches it for every attempt.</summary>
    public string? SourceImageUrl { get; set; }

    /// <summary>Or the blob key of the image uploaded with the case, which the worker reads for every attempt.</summary>
    public string? SourceImageKey { get; set; }

    /// <summary>The enhancement tier the case asked for (<c>512</c>, <c>1K</c>, <c>2K</c>, <c>4K</c>), if any.</summary>
    public string? ImageSize { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }

    public string Status { get; set; } = ImageStatuses.Queued;

    /// <summary>A staged image's step in its current attempt (<see cref="ImageSteps"/>; the last one reached once it ended),
    /// null for other kinds.</summary>
    public string? Step { get; set; }

    /// <summary>A staged image's analysis of its source image in the current attempt, once step 1 finished.</summary>
    public string? Analysis { get; set; }

    /// <summary>The analysis calls of the current attempt that Google bills, as step 1 reported them: counted for an attempt
    /// that ends without a worker's result (timed out, cancelled), whose step 2 never said.</summary>
    public int AnalysisBilledCalls { get; set; }
    public int Attempt { get; set; }
    public string? Location { get; set; }
    public long? SizeBytes { get; set; }
    public string? Model { get; set; }

    /// <summary>Gemini's token usage and the estimated cost of the stored attempt, as the worker reported them.</summary>
    public int? PromptTokens { get; set; }
    public int? CandidatesTokens { get; set; }
    public int? TotalTokens { get; set; }
    public decimal? EstimatedCostUsd { get; set; }
    public string? ErrorCode { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Where the current attempt was sent (<see cref="GenerationModes.Live"/> or <see cref="GenerationModes.Batch"/>);
    /// null before it was sent, and for images sent before jobs had modes (live).</summary>
    public string? Route { get; set; }

    /// <summary>Whether the current attempt waits in a Gemini batch rather than for a live call.</summary>
    public bool IsBatched => Route == GenerationModes.Batch;

    /// <summary>When the current attempt was last sent to the workers, and how often it was sent.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
    public int Dispatches { get; set; }

    /// <summary>Every finished attempt and late result, oldest first (JSON, see <see cref="ImageAttempt"/>).</summary>
    public List<ImageAttempt> History { get; set; } = [];

    public bool IsFinished => Status != ImageStatuses.Queued;

    /// <summary>Whether this image can go into a Gemini batch: a staged one cannot, its generation needs its analysis first.</summary>
    public bool IsBatchable => Kind != ImageKinds.Staged;

    /// <summary>Ends the current attempt in <paramref name="status"/> and records it in the history.</summary>
    public void Finish(string status, DateTimeOffset at, string? errorCode = null, string? error = null, int billedCalls = 0)
    {
        Status = status;
        ErrorCode = errorCode;
        Error = error;
        UpdatedAt = at;
        // A worker's result counts the analysis calls too; an attempt ended by the saga knows only step 1's.
        History.Add(new ImageAttempt(Attempt, status, Location, errorCode, error, at, Math.Max(billedCalls, AnalysisBilledCalls)));
    }

    /// <summary>Billed Gemini calls over every attempt, from the history (never a running total): each attempt's outcome once,
    /// a late or redelivered result of an outcome already recorded not again.</summary>
    public int BilledCalls => History
        .GroupBy(h => (h.Attempt, Outcome: h.Status.StartsWith(ImageAttempt.LatePrefix, StringComparison.Ordinal) ? h.Status[ImageAttempt.LatePrefix.Length..] : h.Status))
        .Sum(outcome => outcome.Max(h => h.BilledCalls));

    /// <summary>Whether Google billed at least one Gemini call for this image.</summary>
    public bool Billed => BilledCalls > 0;

    /// <summary>Starts the next attempt of a failed or timed-out image.</summary>
    public void Requeue(DateTimeOffset at)
    {
        Attempt++;
        Status = ImageStatuses.Queued;
        Location = null;
        ErrorCode = null;
        Error = null;
        DispatchedAt = null;
        Dispatches = 0;
        UpdatedAt = at;
        // A retry repeats both steps of a staged image: a new analysis of the source image, then a new image.
        Step = FirstStep(Kind);
        Analysis = null;
        AnalysisBilledCalls = 0;
    }

    /// <summary>The step an image of <paramref name="kind"/> starts in: analysing for a staged one, none for others.</summary>
    public static string? FirstStep(string kind) => kind == ImageKinds.Staged ? ImageSteps.Analysing : null;

    /// <summary>The item as the workers get it: everything the case asked for this image.</summary>
    public CaseImageItem ToItem() => new(ItemId, Kind, Name, Description, Prompt, AspectRatio, SourceImageUrl, ImageSize, SourceImageKey);

    public ImageResult ToResult() => new(
        ItemId, Kind, Status, Attempt, Location,
        Status == ImageStatuses.Completed ? Width : null,
        Status == ImageStatuses.Completed ? Height : null,
        ErrorCode, Error, Billed, Step);
}

/// <summary>How one attempt of an image ended (or a result that came after it had ended), and the Gemini calls billed for it.</summary>
public sealed record ImageAttempt(int Attempt, string Status, string? Location, string? ErrorCode, string? Error, DateTimeOffset At,
    int BilledCalls = 0)
{
    /// <summary>Status prefix of a result recorded after its attempt had ended.</summary>
    public const string LatePrefix = "late_";
}
