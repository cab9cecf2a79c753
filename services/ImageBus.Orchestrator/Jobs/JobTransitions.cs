using ImageBus.Contracts;
using ImageBus.ServiceDefaults.Jobs;
using ImageBus.ServiceDefaults.Messaging;
using MassTransit;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>What each transition of <see cref="JobStateMachine"/> does to the job and which events
/// it reports; kept apart from the machine's wiring so each step reads on its own.</summary>
sealed class JobTransitions(JobOptions options, TimeProvider clock)
{
    /// <summary>Takes the case on, or records why it cannot be (in <see cref="JobState.FailureReason"/>).</summary>
    public void Accept(JobState job, GenerateCaseImages command)
    {
        var now = clock.GetUtcNow();
        job.TenantId = command.TenantId ?? "";
        job.CaseId = command.CaseId ?? "";
        job.WebhookUrl = command.WebhookUrl;
        job.ImageSize = command.ImageSize ?? options.DefaultImageSize;
        job.CreatedAt = now;
        job.UpdatedAt = now;

        var errors = CaseValidator.Validate(command, options);
        if (errors.Count > 0)
        {
            job.FailureReason = string.Join("; ", errors);
            job.FinishedAt = now;
            return;
        }

        job.Images = command.Items.Select((item, position) =>
        {
            var (width, height) = ImageDimensions.For(item.AspectRatio, job.ImageSize);
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
                Width = width,
                Height = height,
                Status = ImageStatuses.Queued,
                Attempt = 1,
                UpdatedAt = now,
            };
        }).ToList();
    }

    /// <summary>Reports the job accepted, then sends one command per image to the workers.</summary>
    public async Task Start(BehaviorContext<JobState, GenerateCaseImages> context)
    {
        var job = context.Saga;
        await context.Publish(new JobAccepted(Snapshot(job) with { Status = JobStatuses.Accepted }, job.WebhookUrl));

        var endpoint = await context.GetSendEndpoint(QueueNames.GenerateImageAddress);
        foreach (var image in job.Images)
        {
            await endpoint.Send(new GenerateImage(
                job.CorrelationId, job.TenantId, job.CaseId, image.ToItem(), image.Width, image.Height, image.Attempt),
                context.CancellationToken);
        }

        await context.Publish(new JobStarted(Snapshot(job)));
    }

    public Task Reject(BehaviorContext<JobState, GenerateCaseImages> context)
    {
        var errors = CaseValidator.Validate(context.Message, options).Select(e => e.ToString()).ToList();
        return context.Publish(new CaseImagesRejected(
            context.Saga.CorrelationId, context.Saga.TenantId, context.Saga.CaseId, errors, clock.GetUtcNow()));
    }

    /// <summary>Applies a stored image; returns null when the result is a duplicate or stale.</summary>
    public JobImage? RecordSuccess(JobState job, ImageGenerated result) =>
        Record(job, result.ItemId, result.Attempt, image =>
        {
            image.Status = ImageStatuses.Completed;
            image.Location = result.Location;
            image.Width = result.Width;
            image.Height = result.Height;
            image.SizeBytes = result.SizeBytes;
            image.Model = result.Model;
            image.ErrorCode = null;
            image.Error = null;
        });

    public JobImage? RecordFailure(JobState job, ImageGenerationFailed result) =>
        Record(job, result.ItemId, result.Attempt, image =>
        {
            image.Status = ImageStatuses.Failed;
            image.ErrorCode = result.ErrorCode;
            image.Error = result.Message;
        });

    /// <summary>A worker threw past its retries: the image fails with the exception's reason.</summary>
    public JobImage? RecordFault(JobState job, Fault<GenerateImage> fault) =>
        Record(job, fault.Message.Item.ItemId, fault.Message.Attempt, image =>
        {
            image.Status = ImageStatuses.Failed;
            image.ErrorCode = "WORKER_FAULT";
            image.Error = fault.Exceptions.FirstOrDefault()?.Message ?? "the worker failed";
        });

    JobImage? Record(JobState job, string itemId, int attempt, Action<JobImage> apply)
    {
        var image = job.FindImage(itemId);
        if (image is null || image.Attempt != attempt || image.IsFinished)
        {
            return null;
        }

        apply(image);
        image.UpdatedAt = clock.GetUtcNow();
        return image;
    }

    public JobProgressed Progressed(JobState job, JobImage image) => new(Snapshot(job), image.ToResult());

    /// <summary>Ends the job in the state the machine moved it to and builds the matching event.</summary>
    public IJobEvent Finish(JobState job)
    {
        job.FinishedAt = clock.GetUtcNow();
        var images = job.Images.OrderBy(i => i.Position).Select(i => i.ToResult()).ToList();
        switch (job.Status)
        {
            case JobStatuses.Completed:
                return new JobCompleted(Snapshot(job), images);
            case JobStatuses.Partial:
                return new JobPartiallyCompleted(Snapshot(job), images);
            default:
                job.FailureReason = "no image of the job could be generated";
                return new JobFailed(Snapshot(job), job.FailureReason, images);
        }
    }

    /// <summary>Gives the job's next event its sequence number, time, status and counts.</summary>
    JobSnapshot Snapshot(JobState job)
    {
        var sequence = job.NextSequence(clock.GetUtcNow());
        return new JobSnapshot(job.CorrelationId, job.TenantId, job.CaseId, job.Status, sequence, job.Counts, job.UpdatedAt);
    }
}
