namespace ImageBus.Contracts;

/// <summary>One image a case asks for.</summary>
/// <param name="ItemId">Unique within the case; the upstream app's own id for the image.</param>
/// <param name="Kind">One of <see cref="ImageKinds"/>.</param>
/// <param name="Name">Short name, e.g. "Bloody letter opener".</param>
/// <param name="Description">What the image shows; filled into the kind's prompt template.</param>
/// <param name="Prompt">The whole prompt, required for <see cref="ImageKinds.Custom"/> items.</param>
/// <param name="AspectRatio">One of <see cref="AspectRatios"/> that the job's model accepts; 1:1 when absent.</param>
/// <param name="SourceImageUrl">An http(s) URL of a PNG, JPEG or WebP image to edit or enhance: the worker
/// fetches it and sends it to the model with the prompt.</param>
/// <param name="ImageSize">The model's enhancement tier for this image, <c>512</c>, <c>1K</c>, <c>2K</c> or <c>4K</c>, if the
/// job's model offers it; the output's long edge is then 512, 1024, 2048 or 4096 pixels instead of the job's
/// <see cref="GenerateCaseImages.ImageSize"/>. When absent the model makes the smallest of its sizes from 1K up that covers
/// the job's size.</param>
/// <param name="SourceImageKey">Set by the gateway, not by callers: the blob key of a source image uploaded with the
/// case (under the tenant's upload prefix, <c>{tenant}/uploads/</c>), which the worker reads from the blob store
/// instead of fetching a URL. At most one of this and <paramref name="SourceImageUrl"/>.</param>
public sealed record CaseImageItem(
    string ItemId,
    string Kind,
    string Name,
    string? Description = null,
    string? Prompt = null,
    string? AspectRatio = null,
    string? SourceImageUrl = null,
    string? ImageSize = null,
    string? SourceImageKey = null);

/// <summary>Asks for a batch of images. The job id is the correlation id of every message of the job.
/// Upstream apps may publish this directly to RabbitMQ or POST it to the gateway.</summary>
/// <param name="JobId">Chosen by the publisher (the gateway: a random sequential GUID): the same id published again is
/// the same job, which starts once. An empty id gets the message's own id.</param>
/// <param name="ImageSize">Long edge of every output image in pixels; 1024 when absent.</param>
/// <param name="WebhookUrl">Where the notifier POSTs this job's events, if anywhere.</param>
/// <param name="IdempotencyKey">Informational on the bus (kept on the job): the gateway enforces idempotency keys
/// (stored per tenant with a hash of the request); a publisher on the bus makes a repeat the same job by its
/// <paramref name="JobId"/>.</param>
/// <param name="DeadlineSeconds">How long the job may take from acceptance; the configured default
/// (10 minutes) when absent.</param>
/// <param name="WebhookEvents">The event types (webhook names, e.g. <c>job.completed</c>, or the group
/// <c>job.progress</c>) to POST to <paramref name="WebhookUrl"/>; every type when absent.</param>
/// <param name="Model">The Gemini image model for every image of the job, one of the configured allowlist
/// (<c>Gemini:Model</c> and <c>Gemini:AllowedModels</c>); <c>Gemini:Model</c> when absent.</param>
/// <param name="Mode">One of <see cref="GenerationModes"/>: <c>live</c> (the default) calls Gemini per image at once; <c>batch</c>
/// sends the images through Gemini's Batch API at half the price, with a turnaround of hours; <c>auto</c> is batch when the
/// job's deadline is at least the configured batch turnaround, else live.</param>
public sealed record GenerateCaseImages(
    Guid JobId,
    string TenantId,
    string CaseId,
    IReadOnlyList<CaseImageItem> Items,
    int? ImageSize = null,
    string? WebhookUrl = null,
    string? IdempotencyKey = null,
    int? DeadlineSeconds = null,
    IReadOnlyList<string>? WebhookEvents = null,
    string? Model = null,
    string? Mode = null);

/// <summary>Tries the failed and timed-out images of a partial or failed job again, each with its
/// attempt number plus one. Other images and states are left alone.</summary>
public sealed record RetryFailedImages(Guid JobId);

/// <summary>Stops a pending or generating job: no more images are dispatched, unfinished ones are
/// marked cancelled, and workers skip the job's images still queued.</summary>
public sealed record CancelCaseImages(Guid JobId, string? Reason = null);

/// <summary>Asks a worker for one image of a job: sent to queue <c>generate-image</c> for a live call, or to
/// <c>batch-image</c> to go into a Gemini batch (answered alike, with <see cref="ImageGenerated"/> or
/// <see cref="ImageGenerationFailed"/>, or with <see cref="BatchImageAbandoned"/> when its batch ends without it).</summary>
/// <param name="Model">The job's Gemini model, as the orchestrator settled it; the worker's <c>Gemini:Model</c> when
/// absent (a command sent before jobs had models).</param>
public sealed record GenerateImage(
    Guid JobId,
    string TenantId,
    string CaseId,
    CaseImageItem Item,
    int Width,
    int Height,
    int Attempt,
    string? Model = null);
