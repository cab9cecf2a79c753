using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Gemini;
using ImageBus.Http;
using ImageBus.Jobs;
using ImageBus.Persistence;
using ImageBus.Storage;
using ImageBus.Tenants;
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
        jobs.MapPost("/", SubmitJson).WithName("SubmitJob").RequireAuthorization(GatewayAuthorization.Tenant);
        // Callers are services with keys, not browsers with cookies: no antiforgery token to check.
        jobs.MapPost("/", SubmitForm).WithName("SubmitJobWithUploads").DisableAntiforgery().RequireAuthorization(GatewayAuthorization.Tenant);
        // Reading takes any key (the fallback policy): a tenant's for its own jobs, or an admin key.
        jobs.MapGet("/{jobId:guid}", GetStatus).WithName("GetJob");
        // A signed link needs no key (an <img> tag, a webhook subscriber); the handler checks link or key.
        jobs.MapGet("/{jobId:guid}/images/{itemId}", GetImage).WithName("GetJobImage").AllowAnonymous();
        jobs.MapPost("/{jobId:guid}/retry", Retry).WithName("RetryJob").RequireAuthorization(GatewayAuthorization.Tenant);
        jobs.MapPost("/{jobId:guid}/cancel", Cancel).WithName("CancelJob").RequireAuthorization(GatewayAuthorization.Tenant);
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
            // Named by its path in the job's JSON, as a JSON body's problems are; a part that is no JSON at all by its name.
            var problem = InputText.FromJson(exception);
            return Invalid([problem.Field == "body" ? problem with { Field = JobPart } : problem]);
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
        // The tenant is the key's; a body naming another one is refused, not quietly rewritten.
        var tenantId = Caller.Of(submission.Http.User)!.Tenant;
        if (request.TenantId is not null && request.TenantId != tenantId)
        {
            return TypedResults.Problem($"This key belongs to tenant '{tenantId}'; the body names tenant '{request.TenantId}'.",
                statusCode: StatusCodes.Status403Forbidden, title: "The body's tenantId is not the key's tenant.");
        }

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
        errors.AddRange(await WebhookUrlErrorsAsync(command.WebhookUrl, errors, submission.Guard, cancellationToken));
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

    /// <summary>A job's own <c>webhookUrl</c> is held to the outbound address rules of registered endpoints, now rather
    /// than only when the notifier connects (where a refusal would stay invisible to the caller).</summary>
    static async Task<IEnumerable<ValidationError>> WebhookUrlErrorsAsync(
        string? url, IReadOnlyList<ValidationError> found, OutboundAddressGuard guard, CancellationToken cancellationToken) =>
        url is null || found.Any(e => e.Field == "webhookUrl") || await guard.CheckAsync(url, cancellationToken) is not { } refusal
            ? []
            : [new ValidationError("webhookUrl", refusal)];

    static ValidationProblem Invalid(IEnumerable<ValidationError> errors) => ValidationProblems.From(errors, "The case is not valid.");

    static async Task<string> ReadTextAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(file.OpenReadStream());
        return await reader.ReadToEndAsync(cancellationToken);
    }

    static async Task<Results<Ok<JobStatusResponse>, NotFound>> GetStatus(
        Guid jobId, Caller caller, IDbContextFactory<JobsDbContext> contexts, ImageUrlSigner signer, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.CorrelationId == jobId, cancellationToken);
        if (job is not null)
        {
            return caller.MaySee(job.TenantId) ? TypedResults.Ok(ToResponse(job, await signer.CurrentAsync(cancellationToken))) : TypedResults.NotFound();
        }

        // Accepted by the gateway and not yet taken on by the orchestrator, or refused by it before it could store the
        // job (then the request carries the reason).
        var request = await db.JobRequests.AsNoTracking().SingleOrDefaultAsync(r => r.JobId == jobId, cancellationToken);
        return request is null || !caller.MaySee(request.TenantId)
            ? TypedResults.NotFound()
            : TypedResults.Ok(new JobStatusResponse(
                request.JobId, request.TenantId, request.CaseId, request.RejectedReason is null ? JobStatuses.Accepted : JobStatuses.Rejected,
                null, new JobCounts(request.ItemCount, 0, 0, 0, 0), request.AcceptedAt, request.RejectedAt ?? request.AcceptedAt,
                request.RejectedAt, null, request.RejectedReason, null, null, []));
    }

    /// <summary>Asks a partial or failed job to try its failed and timed-out images again.</summary>
    static Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> Retry(
        Guid jobId, Caller caller, IDbContextFactory<JobsDbContext> contexts, IPublishEndpoint publisher, CancellationToken cancellationToken) =>
        CommandJob(jobId, caller, [JobStatuses.Partial, JobStatuses.Failed], new RetryFailedImages(jobId), "retried", contexts, publisher,
            cancellationToken);

    /// <summary>Asks a pending or generating job to stop.</summary>
    static Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> Cancel(
        Guid jobId, Caller caller, CancelJobRequest? request, IDbContextFactory<JobsDbContext> contexts, IPublishEndpoint publisher,
        CancellationToken cancellationToken) =>
        CommandJob(jobId, caller, [JobStatuses.Accepted, JobStatuses.Pending, JobStatuses.Generating], new CancelCaseImages(jobId, request?.Reason),
            "cancelled", contexts, publisher, cancellationToken);

    /// <summary>Publishes a command for a job in one of the states it applies to. The saga decides
    /// for good (the job may move on in between); this only spares callers a command that cannot apply.</summary>
    static async Task<Results<Accepted, NotFound, Conflict<ProblemDetails>>> CommandJob<T>(
        Guid jobId, Caller caller, string[] applicableStates, T command, string verb, IDbContextFactory<JobsDbContext> contexts,
        IPublishEndpoint publisher, CancellationToken cancellationToken)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().Where(j => j.CorrelationId == jobId).Select(j => new { j.CurrentState, j.TenantId })
            .SingleOrDefaultAsync(cancellationToken);
        if (job is null || !caller.MaySee(job.TenantId))
        {
            return TypedResults.NotFound();
        }

        var status = JobState.StatusOf(job.CurrentState);
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

    /// <summary>The JPEG, for a signed link (<see cref="ImageUrlSigner"/>: a bad or expired one is 403 whatever key comes
    /// with it) or a key that may see the job.</summary>
    static async Task<Results<FileStreamHttpResult, NotFound, ProblemHttpResult, ChallengeHttpResult>> GetImage(
        Guid jobId, string itemId, [FromQuery(Name = ImageUrlSigner.ExpiresParameter)] string? expires,
        [FromQuery(Name = ImageUrlSigner.SignatureParameter)] string? signature, HttpContext http, ImageUrlSigner signer,
        IDbContextFactory<JobsDbContext> contexts, IBlobStore blobs, CancellationToken cancellationToken)
    {
        var signed = expires is not null || signature is not null;
        if (signed && !await signer.VerifyAsync(jobId, itemId, expires, signature, cancellationToken))
        {
            return TypedResults.Problem("The link's signature does not fit this image, or the link has expired.",
                statusCode: StatusCodes.Status403Forbidden, title: "The image link is not valid.");
        }

        var caller = Caller.Of(http.User);
        if (!signed && caller is null)
        {
            return TypedResults.Challenge();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.JobImages.AsNoTracking()
            .Where(i => i.JobId == jobId && i.ItemId == itemId && i.Status == ImageStatuses.Completed)
            .Select(i => new { i.Location, Tenant = db.Jobs.Where(j => j.CorrelationId == jobId).Select(j => j.TenantId).Single() })
            .SingleOrDefaultAsync(cancellationToken);
        var location = image is not null && (signed || caller!.MaySee(image.Tenant)) ? image.Location : null;
        var stream = location is null ? null : await blobs.OpenReadAsync(location, cancellationToken);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, "image/jpeg");
    }

    static JobStatusResponse ToResponse(JobState job, ImageUrls urls) => new(
        job.CorrelationId, job.TenantId, job.CaseId, job.Status, job.Model, job.Counts, job.CreatedAt, job.UpdatedAt, job.FinishedAt,
        job.DeadlineAt, job.FailureReason, job.EstimatedCostUsd, job.TotalTokens,
        job.Images.OrderBy(i => i.Position).Select(i => new ImageStatusResponse(
            i.ItemId, i.Kind, i.Name, i.Status, i.Attempt, i.Width, i.Height,
            i.Status == ImageStatuses.Completed ? urls.For(job.CorrelationId, i.ItemId) : null,
            i.ErrorCode, i.Error, i.Model, i.TotalTokens, i.EstimatedCostUsd,
            i.History.Select(h => new ImageAttemptResponse(h.Attempt, h.Status, h.ErrorCode, h.Error, h.At)).ToList())).ToList());
}

/// <summary>What both forms of submission need, bound from services by <c>[AsParameters]</c>.</summary>
sealed record Submission(
    IDbContextFactory<JobsDbContext> Contexts,
    IPublishEndpoint Publisher,
    IOptions<JobOptions> Options,
    IOptions<GeminiOptions> Models,
    SourceUploads Uploads,
    OutboundAddressGuard Guard,
    TimeProvider Clock,
    HttpContext Http,
    ILogger<SubmitJobRequest> Logger);
