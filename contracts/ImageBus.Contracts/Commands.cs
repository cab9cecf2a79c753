namespace ImageBus.Contracts;

/// <summary>One image a case asks for.</summary>
/// <param name="ItemId">Unique within the case; the upstream app's own id for the image.</param>
/// <param name="Kind">One of <see cref="ImageKinds"/>.</param>
/// <param name="Name">Short name, e.g. "Bloody letter opener".</param>
/// <param name="Description">What the image shows; filled into the kind's prompt template.</param>
/// <param name="Prompt">The whole prompt, required for <see cref="ImageKinds.Custom"/> items.</param>
/// <param name="AspectRatio">One of <see cref="AspectRatios"/>; 1:1 when absent.</param>
public sealed record CaseImageItem(
    string ItemId,
    string Kind,
    string Name,
    string? Description = null,
    string? Prompt = null,
    string? AspectRatio = null);

/// <summary>Asks for a batch of images. The job id is the correlation id of every message of the job.
/// Upstream apps may publish this directly to RabbitMQ or POST it to the gateway.</summary>
/// <param name="ImageSize">Long edge of every output image in pixels; 1024 when absent.</param>
/// <param name="WebhookUrl">Where the notifier POSTs this job's events, if anywhere.</param>
public sealed record GenerateCaseImages(
    Guid JobId,
    string TenantId,
    string CaseId,
    IReadOnlyList<CaseImageItem> Items,
    int? ImageSize = null,
    string? WebhookUrl = null);

/// <summary>Asks a worker for one image of a job.</summary>
public sealed record GenerateImage(
    Guid JobId,
    string TenantId,
    string CaseId,
    CaseImageItem Item,
    int Width,
    int Height,
    int Attempt);
