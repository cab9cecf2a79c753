using ImageBus.Contracts;
using MassTransit;

namespace ImageBus.ServiceDefaults.Jobs;

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
    public string? WebhookUrl { get; set; }

    /// <summary>The last sequence number given to an event of this job.</summary>
    public long Sequence { get; set; }

    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public List<JobImage> Images { get; set; } = [];

    /// <summary>The public status name for <see cref="CurrentState"/>.</summary>
    public string Status => CurrentState.ToLowerInvariant() switch
    {
        "" or "initial" => JobStatuses.Accepted,
        var state => state,
    };

    public JobCounts Counts => new(
        Images.Count,
        Images.Count(i => i.Status == ImageStatuses.Completed),
        Images.Count(i => i.Status == ImageStatuses.Failed),
        Images.Count(i => i.Status == ImageStatuses.TimedOut),
        Images.Count(i => i.Status == ImageStatuses.Cancelled));

    public bool AllImagesFinished => Images.TrueForAll(i => i.IsFinished);

    public JobImage? FindImage(string itemId) => Images.Find(i => i.ItemId == itemId);

    /// <summary>Gives the next event of this job its sequence number.</summary>
    public long NextSequence(DateTimeOffset now)
    {
        UpdatedAt = now;
        return ++Sequence;
    }
}
