using ImageBus.Contracts;

namespace ImageBus.ServiceDefaults.Jobs;

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
    public int Width { get; set; }
    public int Height { get; set; }

    public string Status { get; set; } = ImageStatuses.Queued;
    public int Attempt { get; set; }
    public string? Location { get; set; }
    public long? SizeBytes { get; set; }
    public string? Model { get; set; }
    public string? ErrorCode { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsFinished => Status != ImageStatuses.Queued;

    public CaseImageItem ToItem() => new(ItemId, Kind, Name, Description, Prompt, AspectRatio);

    public ImageResult ToResult() => new(
        ItemId, Kind, Status, Attempt, Location,
        Status == ImageStatuses.Completed ? Width : null,
        Status == ImageStatuses.Completed ? Height : null,
        ErrorCode, Error);
}
