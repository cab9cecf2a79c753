using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Persistence;
using ImageBus.Storage;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Gateway.Jobs;

/// <summary>The jobs API: submit a case, follow its job, fetch its images.</summary>
public static class JobsApi
{
    /// <summary>The part of a multipart submission that holds the job's JSON.</summary>
    public const string JobPart = "job";

    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/v1/jobs").WithTags("Jobs");
        // One path, two bodies: routing picks the endpoint by the request's content type.
        jobs.MapPost("/", SubmitJson).WithName("SubmitJob");
        // Callers are services with keys, not browsers with cookies: no antiforgery token to check.
        jobs.MapPost("/", SubmitForm).WithName("SubmitJobWithUploads").DisableAntiforgery();
        jobs.MapGet("/{jobId:guid}", GetStatus).WithName("GetJob");
        jobs.MapGet("/{jobId:guid}/images/{itemId}", GetImage).WithName("GetJobImage");
        jobs.MapPost("/{jobId:guid}/retry", Retry).WithName("RetryJob");
        jobs.MapPost("/{jobId:guid}/cancel", Cancel).WithName("CancelJob");
        return jobs;
    }

    /// <summary>Accepts a case as JSON.</summary>
    static Task<Results<Accepted<JobAcceptedResponse>, ValidationProblem, ProblemHttpResult>> SubmitJson(
        SubmitJobRequest request, [AsParameters] Submission submission, CancellationToken cancellationToken) =>
        Submit(request, files: null, submission, cancellationToken);

    /// <summary>Accepts a case as <c>multipart/form-data</c>: the JSON in part <see cref="JobPart"/> (a field or a file),
    /// the source images its items name in file parts of their own.</summary>
    static async Task<Results<Accepted<JobAcceptedResponse>, ValidationProblem, ProblemHttpResult>> SubmitForm(
        IFormCollection form, IOptions<HttpJsonOptions> json, [AsParameters] Submission submission, CancellationToken cancellationToken)
    {
        var text = form.TryGetValue(JobPart, out var field) ? field.ToString()
            : form.Files.GetFile(JobPart) is { } file ? await ReadTextAsync(file, cancellationToken)
            : null;
        if (text is null)
        {
            return Invalid([new(JobPart, $"is required: the job's JSON as a field or file part named {JobPart}")]);
        }

        SubmitJobRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<SubmitJobRequest>(text, json.Value.SerializerOptions);
        }
        catch (JsonException exception)
        {
            return Invalid([new(JobPart, $"is not a job's JSON: {exception.Message}")]);
        }

        return request is null
            ? Invalid([new(JobPart, "is not a job's JSON: null")])
            : await Submit(request, form.Files, submission, cancellationToken);
    }

    /// <summary>Accepts a case: checks it and its uploads, stores the uploads, records the case, publishes
    /// <see cref="GenerateCaseImages"/>, answers 202.</summary>
    static async Task<Results<Accepted<JobAcceptedResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        SubmitJobRequest request, IFormFileCollection? files, Submission submission, CancellationToken cancellationToken)
    {
        var tenantId = request.TenantId ?? "";
        var idempotencyKey = request.IdempotencyKey ?? submission.Http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var jobId = !string.IsNullOrWhiteSpace(idempotencyKey) && !string.IsNullOrWhiteSpace(tenantId)
            ? JobIds.ForIdempotencyKey(tenantId, idempotencyKey)
            : NewId.NextGuid();
        var items = request.Items ?? [];
        var uploads = await submission.Uploads.CheckAsync(tenantId, items, files, cancellationToken);
        var command = new GenerateCaseImages(
            jobId, tenantId, request.CaseId,
            // A null item stays null, for the validator to report.
            [.. items.Select(item => item?.ToCaseItem(uploads.KeyOf(item))!)],
            request.ImageSize, request.WebhookUrl, idempotencyKey, request.DeadlineSeconds, request.WebhookEvents, request.Model);
        var errors = CaseValidator.Validate(command, submission.Options.Value, submission.Models.Value).Concat(uploads.Errors).ToList();
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var statusUrl = $"/v1/jobs/{command.JobId}";
        await using var db = await submission.Contexts.CreateDbContextAsync(cancellationToken);
        if (await db.JobRequests.AnyAsync(r => r.JobId == command.JobId, cancellationToken))
        {
            // The same tenant and idempotency key: the job that request made, not a second one (nor its uploads again).
            return TypedResults.Accepted(statusUrl, new JobAcceptedResponse(command.JobId, JobStatuses.Accepted, statusUrl));
        }

        // Before the case is recorded: a case whose images the worker cannot read must never be published.
        await submission.Uploads.StoreAsync(uploads, cancellationToken);
        var accepted = new JobRequest
        {
            JobId = command.JobId, TenantId = command.TenantId, CaseId = command.CaseId,
            ItemCount = command.Items.Count, IdempotencyKey = idempotencyKey, AcceptedAt = submission.Clock.GetUtcNow(),
        };
        db.JobRequests.Add(accepted);
        await db.SaveChangesAsync(cancellationToken);
        try
        {
            await submission.Publisher.Publish(command, cancellationToken);
        }
        catch (Exception exception)
        {
            // Nothing will ever process a job whose command was not published: forget it and say so.
            submission.Logger.LogError(exception, "Could not publish job {JobId} of case {CaseId}", command.JobId, command.CaseId);
            db.JobRequests.Remove(accepted);
            await db.SaveChangesAsync(CancellationToken.None);
            return TypedResults.Problem("The message bus is unavailable; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        submission.Logger.LogInformation(
            "Accepted job {JobId} of case {CaseId} for tenant {TenantId} with {ItemCount} images ({UploadCount} uploaded source images)",
            command.JobId, command.CaseId, command.TenantId, command.Items.Count, uploads.ByPart.Count);
        return TypedResults.Accepted(statusUrl, new JobAcceptedResponse(command.JobId, JobStatuses.Accepted, statusUrl));
    }

    static ValidationProblem Invalid(IEnumerable<ValidationError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: "The case is not valid.");

    static async Task<string> ReadTextAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(file.OpenReadStream());
        return await reader.ReadToEndAsync(cancellationToken);
    }

    static async Task<Results<Ok<JobStatusResponse>, NotFound>> GetStatus(
        Guid jobId, IDbContextFactory<JobsDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.CorrelationId == jobId, cancellationToken);
        if (job is not null)
        {
            return TypedResults.Ok(ToResponse(job));
        }

        // Accepted by the gateway, not yet taken on by the orchestrator.
        var request = await db.JobRequests.AsNoTracking().SingleOrDefaultAsync(r => r.JobId == jobId, cancellationToken);
        return request is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new JobStatusResponse(
                request.JobId, request.TenantId, request.CaseId, JobStatuses.Accepted, null,
                new JobCounts(request.ItemCount, 0, 0, 0, 0), request.AcceptedAt, request.AcceptedAt, null, null, null, null, null,
                new JobBilling(0, 0, request.ItemCount, 0), []));
    }

    /// <summary>Asks a partial or failed job to try its failed and timed-out images again.</summary>
    static Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> Retry(
        Guid jobId, IDbContextFactory<JobsDbContext> contexts, IPublishEndpoint publisher, CancellationToken cancellationToken) =>
        CommandJob(jobId, [JobStatuses.Partial, JobStatuses.Failed], new RetryFailedImages(jobId), "retried", contexts, publisher, cancellationToken);

    /// <summary>Asks a pending or generating job to stop.</summary>
    static Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> Cancel(
        Guid jobId, CancelJobRequest? request, IDbContextFactory<JobsDbContext> contexts, IPublishEndpoint publisher,
        CancellationToken cancellationToken) =>
        CommandJob(jobId, [JobStatuses.Accepted, JobStatuses.Pending, JobStatuses.Generating], new CancelCaseImages(jobId, request?.Reason),
            "cancelled", contexts, publisher, cancellationToken);

    /// <summary>Publishes a command for a job in one of the states it applies to. The saga decides
    /// for good (the job may move on in between); this only spares callers a command that cannot apply.</summary>
    static async Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> CommandJob<T>(
        Guid jobId, string[] applicableStates, T command, string verb, IDbContextFactory<JobsDbContext> contexts,
        IPublishEndpoint publisher, CancellationToken cancellationToken)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var state = await db.Jobs.AsNoTracking().Where(j => j.CorrelationId == jobId).Select(j => j.CurrentState)
            .SingleOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return TypedResults.NotFound();
        }

        var status = JobState.StatusOf(state);
        if (!applicableStates.Contains(status))
        {
            return TypedResults.Conflict(new ProblemDetails
            {
                Title = $"The job cannot be {verb}.",
                Detail = $"The job is {status}; it can be {verb} when it is {string.Join(" or ", applicableStates)}.",
                Status = StatusCodes.Status409Conflict,
            });
        }

        await publisher.Publish(command, cancellationToken);
        return TypedResults.Accepted($"/v1/jobs/{jobId}");
    }

    static async Task<Results<FileStreamHttpResult, NotFound>> GetImage(
        Guid jobId, string itemId, IDbContextFactory<JobsDbContext> contexts, IBlobStore blobs, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var location = await db.JobImages.AsNoTracking()
            .Where(i => i.JobId == jobId && i.ItemId == itemId && i.Status == ImageStatuses.Completed)
            .Select(i => i.Location)
            .SingleOrDefaultAsync(cancellationToken);
        var stream = location is null ? null : await blobs.OpenReadAsync(location, cancellationToken);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, "image/jpeg");
    }

    static JobStatusResponse ToResponse(JobState job) => new(
        job.CorrelationId, job.TenantId, job.CaseId, job.Status, job.Model, job.Counts, job.CreatedAt, job.UpdatedAt, job.FinishedAt,
        job.DeadlineAt, job.FailureReason, job.EstimatedCostUsd, job.TotalTokens, job.Billing,
        job.Images.OrderBy(i => i.Position).Select(i => new ImageStatusResponse(
            i.ItemId, i.Kind, i.Name, i.Status, i.Attempt, i.Width, i.Height,
            i.Status == ImageStatuses.Completed ? JobImagePaths.For(job.CorrelationId, i.ItemId) : null,
            i.ErrorCode, i.Error, i.Model, i.TotalTokens, i.EstimatedCostUsd, i.Billed, i.BilledCalls,
            i.History.Select(h => new ImageAttemptResponse(h.Attempt, h.Status, h.ErrorCode, h.Error, h.At, h.BilledCalls)).ToList())).ToList());
}

/// <summary>What both forms of submission need, bound from services by <c>[AsParameters]</c>.</summary>
sealed record Submission(
    IDbContextFactory<JobsDbContext> Contexts,
    IPublishEndpoint Publisher,
    IOptions<JobOptions> Options,
    IOptions<GeminiOptions> Models,
    SourceUploads Uploads,
    TimeProvider Clock,
    HttpContext Http,
    ILogger<SubmitJobRequest> Logger);
