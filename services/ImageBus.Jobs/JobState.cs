using ImageBus.Contracts;
using MassTransit;

namespace ImageBus.Jobs;

/// <summary>One job as the orchestrator's saga keeps it and the gateway reports it. The job id is
/// the saga's correlation id.</summary>
public sealed class JobState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    /// <summary>The saga's state name (Generating, Completed, ...); see <see cref="Status"/>.</summary>
    public string CurrentState { get; set; } = "";

    public string TenantId { get; set; } = "";
    public string CaseId { get; set; } = "";
    public int ImageSize { get; set; }

    /// <summary>The Gemini model of every image: the case's, or the default model when the job was taken on.</summary>
    public string? Model { get; set; }
    public string? WebhookUrl { get; set; }

    /// <summary>How the job's images reach Gemini (<see cref="GenerationModes"/>: live or batch, <c>auto</c> settled when
    /// the job was taken on); null for a job taken on before jobs had modes, which is live.</summary>
    public string? Mode { get; set; }

    /// <summary>Whether the job's images go through Gemini's Batch API (staged items still go live: their second call needs
    /// the first's answer).</summary>
    public bool IsBatch => Mode == GenerationModes.Batch;

    /// <summary>The webhook event types the job's own webhook wants; all when null.</summary>
    public List<string>? WebhookEvents { get; set; }
    public string? IdempotencyKey { get; set; }

    /// <summary>When the job must have ended, whatever happens around it.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>Tokens of the scheduled deadline messages, so they can be cancelled.</summary>
    public Guid? JobDeadlineTokenId { get; set; }
    public Guid? ImageCheckTokenId { get; set; }

    /// <summary>The last sequence number given to an event of this job.</summary>
    public long Sequence { get; set; }

    public string? FailureReason { get; set; }

    /// <summary>What was wrong with a rejected case, as found when it was taken on; kept only while that message
    /// is handled (the reason persists in <see cref="FailureReason"/>).</summary>
    public IReadOnlyList<string> ValidationErrors { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When the job last started generating (a retry starts it again); null while it has not.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public List<JobImage> Images { get; set; } = [];

    /// <summary>PostgreSQL's row version (<c>xmin</c>), checked on save in optimistic mode.</summary>
    public uint Version { get; set; }

    /// <summary>The public status name for <see cref="CurrentState"/>.</summary>
    public string Status => StatusOf(CurrentState);

    /// <summary>The public status name for a saga state name.</summary>
    public static string StatusOf(string currentState) => currentState.ToLowerInvariant() switch
    {
        "" or "initial" => JobStatuses.Accepted,
        var state => state,
    };

    /// <summary>The statuses a job ends in (until a retry, for partial and failed).</summary>
    public static readonly IReadOnlyList<string> TerminalStatuses =
        [JobStatuses.Completed, JobStatuses.Partial, JobStatuses.Failed, JobStatuses.Cancelled, JobStatuses.Rejected];

    /// <summary>Whether a saga state name is one a job ends in (until a retry, for partial and failed).</summary>
    public static bool IsTerminal(string currentState) => TerminalStatuses.Contains(StatusOf(currentState));

    public JobCounts Counts => new(
        Images.Count,
        Images.Count(i => i.Status == ImageStatuses.Completed),
        Images.Count(i => i.Status == ImageStatuses.Failed),
        Images.Count(i => i.Status == ImageStatuses.TimedOut),
        Images.Count(i => i.Status == ImageStatuses.Cancelled));

    public bool AllImagesFinished => Images.TrueForAll(i => i.IsFinished);

    /// <summary>The job's billing facts (see <see cref="JobBilling"/>), from its images' histories.</summary>
    public JobBilling Billing
    {
        get
        {
            // Each image's billed calls are derived from its history once here, not once per figure.
            var billedCalls = Images.Select(i => i.BilledCalls).ToList();
            var delivered = Images.Count(i => i.Status == ImageStatuses.Completed);
            return new JobBilling(billedCalls.Count(calls => calls > 0), delivered, Images.Count - delivered, billedCalls.Sum());
        }
    }

    /// <summary>What the job's stored images cost, summed from each image's own figures (never a running
    /// total, so a redelivered result cannot count twice); null when no image reported a cost.</summary>
    public decimal? EstimatedCostUsd => Images.Any(i => i.EstimatedCostUsd is not null) ? Images.Sum(i => i.EstimatedCostUsd ?? 0) : null;

    public int? TotalTokens => Images.Any(i => i.TotalTokens is not null) ? Images.Sum(i => i.TotalTokens ?? 0) : null;

    /// <summary>When the earliest unfinished live image runs out of time, if any is out (a batched image waits for its
    /// batch, within the job's deadline).</summary>
    public DateTimeOffset? NextImageDeadline(TimeSpan imageDeadline) =>
        Images.Where(i => !i.IsFinished && !i.IsBatched).Min(i => i.DispatchedAt + imageDeadline);

    public JobImage? FindImage(string itemId) => Images.Find(i => i.ItemId == itemId);

    /// <summary>Ends every image still waiting for an answer (deadline, cancellation, forced failure) and records why.</summary>
    public void FinishUnfinished(string status, string errorCode, string reason, DateTimeOffset at)
    {
        foreach (var image in Images.Where(i => !i.IsFinished))
        {
            image.Finish(status, at, errorCode, reason);
        }

        FailureReason = reason;
    }

    /// <summary>Gives the next event of this job its sequence number.</summary>
    public long NextSequence(DateTimeOffset now)
    {
        UpdatedAt = now;
        return ++Sequence;
    }
}
