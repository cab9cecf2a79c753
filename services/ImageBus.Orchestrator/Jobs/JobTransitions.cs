using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Messaging;
using MassTransit;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>What each transition of <see cref="JobStateMachine"/> does to the job and which events
/// it reports; kept apart from the machine's wiring so each step reads on its own.</summary>
sealed class JobTransitions(JobOptions options, GeminiOptions models, TimeProvider clock)
{
    /// <summary>The error code of an image whose command faulted in the worker (its exception past the retries).</summary>
    public const string WorkerFault = "WORKER_FAULT";

    /// <summary>Takes the case on, or records why it cannot be (in <see cref="JobState.FailureReason"/>).</summary>
    public void Accept(JobState job, GenerateCaseImages command)
    {
        var now = clock.GetUtcNow();
        job.TenantId = command.TenantId ?? "";
        job.CaseId = command.CaseId ?? "";
        job.WebhookUrl = command.WebhookUrl;
        job.WebhookEvents = command.WebhookEvents?.ToList();
        job.IdempotencyKey = command.IdempotencyKey;
        job.ImageSize = command.ImageSize ?? options.DefaultImageSize;
        // Settled now, so that every image of the job is made by the model its case was checked against.
        job.Model = command.Model ?? models.Model;
        job.CreatedAt = now;
        job.UpdatedAt = now;
        var deadline = options.DeadlineFor(command.DeadlineSeconds, command.Mode);
        job.DeadlineAt = now + deadline;
        job.Mode = options.ModeFor(command.Mode, deadline);

        var errors = CaseValidator.Validate(WithSagaId(command, job), options, models);
        if (errors.Count > 0)
        {
            job.ValidationErrors = [.. errors.Select(e => e.ToString())];
            job.FailureReason = string.Join("; ", job.ValidationErrors);
            job.FinishedAt = now;
            // Kept to say whose case was refused, in a form the database takes (a NUL is refused by it) and short;
            // what else the case asked for is not kept.
            job.TenantId = InputText.Storable(command.TenantId, Identifiers.MaxLength);
            job.CaseId = InputText.Storable(command.CaseId);
            (job.WebhookUrl, job.WebhookEvents, job.IdempotencyKey, job.Model, job.Mode) = (null, null, null, null, null);
            return;
        }

        job.Images = command.Items.Select((item, position) =>
        {
            var (width, height) = ImageDimensions.For(item.AspectRatio, ImageDimensions.LongEdge(item, job.ImageSize));
            return new JobImage
            {
                JobId = job.CorrelationId,
                ItemId = item.ItemId,
                Position = position,
                Kind = item.Kind,
                Name = item.Name,
                Description = item.Description,
                Prompt = item.Prompt,
                AspectRatio = item.AspectRatio ?? AspectRatios.Square,
                SourceImageUrl = item.SourceImageUrl,
                SourceImageKey = item.SourceImageKey,
                ImageSize = item.ImageSize,
                Width = width,
                Height = height,
                Status = ImageStatuses.Queued,
                Step = JobImage.FirstStep(item.Kind),
                Attempt = 1,
                UpdatedAt = now,
            };
        }).ToList();
    }

    /// <summary>A job no saga took on before its deadline: recorded as it was accepted, failed with the sweeper's reason.</summary>
    public void FailUnstarted(JobState job, FailUnstartedJob command)
    {
        job.TenantId = command.TenantId;
        job.CaseId = command.CaseId;
        job.ImageSize = options.DefaultImageSize;
        job.CreatedAt = command.AcceptedAt;
        job.UpdatedAt = clock.GetUtcNow();
        job.DeadlineAt = command.DeadlineAt;
        job.FailureReason = command.Reason;
    }

    public JobAccepted Accepted(JobState job) => new(Snapshot(job), job.WebhookUrl, job.WebhookEvents);

    public Task Reject(BehaviorContext<JobState, GenerateCaseImages> context)
    {
        return context.Publish(new CaseImagesRejected(
            context.Saga.CorrelationId, context.Saga.TenantId, context.Saga.CaseId, context.Saga.ValidationErrors, clock.GetUtcNow()));
    }

    /// <summary>Sends every queued image to the workers and reports the job started.</summary>
    public async Task Start<T>(BehaviorContext<JobState, T> context)
        where T : class
    {
        context.Saga.StartedAt = clock.GetUtcNow();
        await Dispatch(context, context.Saga.Images.Where(i => i.Status == ImageStatuses.Queued));
        await context.Publish(new JobStarted(Snapshot(context.Saga)));
    }

    /// <summary>An image unanswered past its deadline is sent once more; one unanswered again is timed out.</summary>
    public async Task CheckImages(BehaviorContext<JobState, ImageDeadlineCheck> context)
    {
        var now = clock.GetUtcNow();
        var overdue = context.Saga.Images
            .Where(i => !i.IsFinished && !i.IsBatched && i.DispatchedAt is { } sent && sent + options.ImageDeadline <= now)
            .ToList();
        // Split before sending: sending counts the dispatch, which would move an image to the other side.
        var resend = overdue.Where(i => i.Dispatches < 2).ToList();
        var expired = overdue.Except(resend).ToList();
        // Only live images are checked, and they are resent live.
        await Dispatch(context, resend, live: true);
        foreach (var image in expired)
        {
            image.Finish(ImageStatuses.TimedOut, now, "TIMED_OUT", $"no answer within {options.ImageDeadline} after being sent twice");
            await context.Publish(Progressed(context.Saga, image));
        }
    }

    /// <summary>How long until the next unanswered image runs out of time (at least a second).</summary>
    public TimeSpan UntilNextImageDeadline(JobState job)
    {
        var next = job.NextImageDeadline(options.ImageDeadline) ?? clock.GetUtcNow() + options.ImageDeadline;
        var delay = next - clock.GetUtcNow();
        return delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay;
    }

    /// <summary>Sends each image to the workers: into a Gemini batch for a batch job (but a staged image), else for a live
    /// call; <paramref name="live"/> sends them live whatever the job's mode.</summary>
    async Task Dispatch<T>(BehaviorContext<JobState, T> context, IEnumerable<JobImage> images, bool live = false)
        where T : class
    {
        var job = context.Saga;
        var liveQueue = await context.GetSendEndpoint(QueueNames.GenerateImageAddress);
        var batchQueue = job.IsBatch && !live ? await context.GetSendEndpoint(QueueNames.BatchImageAddress) : null;
        var now = clock.GetUtcNow();
        foreach (var image in images)
        {
            var batched = batchQueue is not null && image.IsBatchable;
            image.Route = batched ? GenerationModes.Batch : GenerationModes.Live;
            image.DispatchedAt = now;
            image.Dispatches++;
            await (batched ? batchQueue! : liveQueue).Send(new GenerateImage(
                job.CorrelationId, job.TenantId, job.CaseId, image.ToItem(), image.Width, image.Height, image.Attempt, job.Model),
                context.CancellationToken);
        }
    }

    /// <summary>A batched image whose batch ended without it (expired, failed, cancelled at Gemini) is sent live when the job has
    /// at least <see cref="JobOptions.ImageDeadline"/> left, the time a live image is given; else it waits for the job's
    /// deadline like any unanswered image. A stale report (another attempt, an image already sent live or ended) changes nothing.</summary>
    public async Task FallBackToLive(BehaviorContext<JobState, BatchImageAbandoned> context)
    {
        var abandoned = context.Message;
        var image = context.Saga.FindImage(abandoned.ItemId);
        if (image is null || image.IsFinished || !image.IsBatched || image.Attempt != abandoned.Attempt)
        {
            return;
        }

        // Too close to the deadline: it stays batched (no image check resends it) and times out with the job.
        if (context.Saga.DeadlineAt is { } deadline && deadline - clock.GetUtcNow() >= options.ImageDeadline)
        {
            await Dispatch(context, [image], live: true);
        }
    }

    /// <summary>Applies a stored image; returns null when the result is a duplicate, stale or late
    /// (a late result is kept in the image's history).</summary>
    public JobImage? RecordSuccess(JobState job, ImageGenerated result) =>
        Record(job, result.ItemId, result.Attempt, ImageStatuses.Completed, result.Location, null, null, result.BilledCalls, image =>
        {
            image.Location = result.Location;
            image.Width = result.Width;
            image.Height = result.Height;
            image.SizeBytes = result.SizeBytes;
            image.Model = result.Model;
            image.PromptTokens = result.PromptTokens;
            image.CandidatesTokens = result.CandidatesTokens;
            image.TotalTokens = result.TotalTokens;
            image.EstimatedCostUsd = result.EstimatedCostUsd;
        });

    /// <summary>Records a staged image's analysis (step 1) of its current attempt, once, from the worker's
    /// <see cref="ImageStepCompleted"/> or from its result, whichever the saga applies first (two messages of one job may be
    /// consumed in either order); returns the image when it moved on to generating, null for a stale or repeated report or an
    /// image that has already ended.</summary>
    public JobImage? RecordStep(JobState job, string itemId, int attempt, string? analysis, int billedCalls)
    {
        var image = job.FindImage(itemId);
        if (analysis is null || image is null || attempt != image.Attempt || image.Analysis is not null || image.IsFinished)
        {
            return null;
        }

        image.Analysis = analysis;
        image.AnalysisBilledCalls = billedCalls;
        image.Step = ImageSteps.Generating;
        image.UpdatedAt = clock.GetUtcNow();
        return image;
    }

    public JobImageStepCompleted StepCompleted(JobState job, JobImage image) => new(Snapshot(job), image.ToResult(), image.Analysis!);

    public JobImage? RecordFailure(JobState job, ImageGenerationFailed result) =>
        Record(job, result.ItemId, result.Attempt, ImageStatuses.Failed, null, result.ErrorCode, result.Message, result.BilledCalls, null);

    /// <summary>A worker threw past its retries: the image fails with the exception's reason.</summary>
    public JobImage? RecordFault(JobState job, Fault<GenerateImage> fault) =>
        Record(job, fault.Message.Item.ItemId, fault.Message.Attempt, ImageStatuses.Failed, null, WorkerFault,
            FaultReason(fault.Exceptions.FirstOrDefault()), billedCalls: 0, null);

    /// <summary>A short reason by the kind of exception, never its message: that may name internal paths or hosts, and
    /// the image's error is shown to the tenant (API, webhooks). The worker's log has the whole exception.</summary>
    static string FaultReason(ExceptionInfo? exception) => exception?.ExceptionType switch
    {
        null => "the worker failed",
        var type when type.StartsWith("System.IO.", StringComparison.Ordinal) || type.Contains("UnauthorizedAccess", StringComparison.Ordinal)
            || type.Contains("Amazon.", StringComparison.Ordinal) => "the worker could not store the image",
        var type when type.Contains("Npgsql", StringComparison.Ordinal) || type.Contains("Postgres", StringComparison.Ordinal)
            => "the worker could not reach its database",
        var type when type.Contains("Timeout", StringComparison.Ordinal) || type.Contains("OperationCanceled", StringComparison.Ordinal)
            => "the worker ran out of time",
        _ => "the worker failed unexpectedly",
    };

    JobImage? Record(JobState job, string itemId, int attempt, string status, string? location, string? errorCode, string? error,
        int billedCalls, Action<JobImage>? applySuccess)
    {
        var image = job.FindImage(itemId);
        if (image is null || attempt > image.Attempt)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (attempt < image.Attempt || (image.IsFinished && !IsReplayedSuccess(job, image, attempt, status)))
        {
            // Kept once for the record; the image's current state does not change.
            var late = new ImageAttempt(attempt, $"{ImageAttempt.LatePrefix}{status}", location, errorCode, error, now, billedCalls);
            if (!image.History.Exists(h => h.Attempt == late.Attempt && h.Status == late.Status))
            {
                image.History.Add(late);
            }

            return null;
        }

        applySuccess?.Invoke(image);
        image.Finish(status, now, errorCode, error, billedCalls);
        return image;
    }

    /// <summary>A success for an attempt that failed only because its command faulted: the command was replayed from the
    /// dead letters (its cause fixed), so the image really was made and the fault's failure gives way to it. Not in a
    /// cancelled job, which nobody wants finished any more.</summary>
    static bool IsReplayedSuccess(JobState job, JobImage image, int attempt, string status) =>
        job.Status != JobStatuses.Cancelled && status == ImageStatuses.Completed && attempt == image.Attempt && image.Status == ImageStatuses.Failed && image.ErrorCode == WorkerFault;

    /// <summary>Marks every unfinished image timed out, for a job that reached its deadline.</summary>
    public void TimeOut(JobState job, string reason)
    {
        job.FinishUnfinished(ImageStatuses.TimedOut, "TIMED_OUT", reason, clock.GetUtcNow());
    }

    public JobProgressed Progressed(JobState job, JobImage image) => new(Snapshot(job), image.ToResult());

    /// <summary>Builds the event of the terminal state the machine moved the job to.</summary>
    public IJobEvent Finish(JobState job)
    {
        job.FinishedAt = clock.GetUtcNow();
        var images = Results(job);
        switch (job.Status)
        {
            case JobStatuses.Completed:
                job.FailureReason = null;
                return new JobCompleted(Snapshot(job), images);
            case JobStatuses.Partial:
                return new JobPartiallyCompleted(Snapshot(job), images);
            default:
                job.FailureReason ??= "no image of the job could be generated";
                return new JobFailed(Snapshot(job), job.FailureReason, images);
        }
    }

    public JobCancelled Cancel(JobState job, string reason)
    {
        var now = clock.GetUtcNow();
        job.FinishUnfinished(ImageStatuses.Cancelled, "CANCELLED", reason, now);
        job.FinishedAt = now;
        return new JobCancelled(Snapshot(job), reason, Results(job));
    }

    /// <summary>Queues the failed and timed-out images again, each at its next attempt, with a new deadline.</summary>
    public JobRetried Retry(JobState job)
    {
        var now = clock.GetUtcNow();
        var retried = job.Images.Where(i => i.Status is ImageStatuses.Failed or ImageStatuses.TimedOut).ToList();
        foreach (var image in retried)
        {
            image.Requeue(now);
        }

        job.FailureReason = null;
        job.FinishedAt = null;
        job.DeadlineAt = now + options.DeadlineFor(null, job.Mode);
        return new JobRetried(Snapshot(job), retried.Select(i => i.ItemId).ToList());
    }

    /// <summary>Gives the job's next event its sequence number, time, status and counts.</summary>
    JobSnapshot Snapshot(JobState job)
    {
        var sequence = job.NextSequence(clock.GetUtcNow());
        return new JobSnapshot(job.CorrelationId, job.TenantId, job.CaseId, job.Status, sequence, job.Counts, job.UpdatedAt,
            job.EstimatedCostUsd, job.TotalTokens, job.Billing);
    }

    /// <summary>With an idempotency key the saga's id (derived from the key) is the job id; without
    /// one the caller's id is validated as given, so a missing id is rejected.</summary>
    static GenerateCaseImages WithSagaId(GenerateCaseImages command, JobState job) =>
        string.IsNullOrWhiteSpace(command.IdempotencyKey) ? command : command with { JobId = job.CorrelationId };

    static List<ImageResult> Results(JobState job) =>
        job.Images.OrderBy(i => i.Position).Select(i => i.ToResult()).ToList();
}
