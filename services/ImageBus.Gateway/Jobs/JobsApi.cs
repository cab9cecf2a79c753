using ImageBus.Batches;
using System.Security.Cryptography;
using ImageBus.Api;
using System.Text;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Gemini;
using ImageBus.Http;
using ImageBus.Jobs;
using ImageBus.Messaging;
using ImageBus.Messaging.Outbox;
using ImageBus.Persistence;
using ImageBus.Storage;
using ImageBus.Tenants;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Npgsql;
using SubmitResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Accepted<ImageBus.Api.JobAcceptedResponse>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<ImageBus.Api.JobStatusResponse>,
    Microsoft.AspNetCore.Http.HttpResults.ValidationProblem,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;

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
        // OpenAPI has one operation per path and method: each of the two describes both bodies.
        jobs.MapPost("/", SubmitJson).WithName("SubmitJob").RequireAuthorization(GatewayAuthorization.Tenant)
            .AddOpenApiOperationTransformer(DescribeBothBodiesAsync);
        // Callers are services with keys, not browsers with cookies: no antiforgery token to check.
        jobs.MapPost("/", SubmitForm).WithName("SubmitJobWithUploads").DisableAntiforgery().RequireAuthorization(GatewayAuthorization.Tenant)
            .AddOpenApiOperationTransformer(DescribeBothBodiesAsync);
        // Reading takes any key (the fallback policy): a tenant's for its own jobs, or an admin key.
        jobs.MapGet("/{jobId:guid}", GetStatus).WithName("GetJob");
        jobs.MapJobList();
        jobs.MapJobArchive();
        // A signed link needs no key (an <img> tag, a webhook subscriber); the handler checks link or key.
        jobs.MapGet("/{jobId:guid}/images/{itemId}", GetImage).WithName("GetJobImage").AllowAnonymous();
        jobs.MapPost("/{jobId:guid}/retry", Retry).WithName("RetryJob").RequireAuthorization(GatewayAuthorization.Tenant);
        jobs.MapPost("/{jobId:guid}/cancel", Cancel).WithName("CancelJob").RequireAuthorization(GatewayAuthorization.Tenant);
        return jobs;
    }

    /// <summary>A submission's body in the OpenAPI document: the case as JSON, or as <c>multipart/form-data</c> with the case's JSON in
    /// part <see cref="JobPart"/> and the source images its items name in file parts of their own.</summary>
    static async Task DescribeBothBodiesAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var body = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody();
        body.Required = true;
        body.Content ??= new Dictionary<string, OpenApiMediaType>();
        body.Content["application/json"] = new OpenApiMediaType
        {
            Schema = await context.GetOrCreateSchemaAsync(typeof(SubmitJobRequest), null, cancellationToken),
        };
        body.Content["multipart/form-data"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { JobPart },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    [JobPart] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The case's JSON, as the JSON body." },
                },
                AdditionalProperties = new OpenApiSchema
                {
                    Type = JsonSchemaType.String, Format = "binary", Description = "A source image an item names in sourceImageUpload.",
                },
            },
        };
        operation.RequestBody = body;
    }

    /// <summary>Accepts a case as JSON.</summary>
    static Task<SubmitResult> SubmitJson(
        SubmitJobRequest request, [AsParameters] Submission submission, CancellationToken cancellationToken) =>
        Submit(request, files: null, submission, cancellationToken);

    /// <summary>Accepts a case as <c>multipart/form-data</c>: the JSON in part <see cref="JobPart"/> (a field or a file),
    /// the source images its items name in file parts of their own.</summary>
    static async Task<SubmitResult> SubmitForm(
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

    /// <summary>Accepts a case: checks it and its uploads, stores the uploads, and records the case and its
    /// <see cref="GenerateCaseImages"/> in one transaction (the command in the outbox, published right after the commit),
    /// answers 202. A repeat of an idempotency key answers the job it made (200, its current status), or 409 for another body.</summary>
    static async Task<SubmitResult> Submit(
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
        var items = request.Items ?? [];
        var uploads = await submission.Uploads.CheckAsync(tenantId, items, files, cancellationToken);
        var command = new GenerateCaseImages(
            NewId.NextGuid(), tenantId, request.CaseId,
            // A null item stays null, for the validator to report.
            [.. items.Select(item => item is null ? null! : ToCaseItem(item, uploads.KeyOf(item)))],
            request.ImageSize, request.WebhookUrl, idempotencyKey, request.DeadlineSeconds, request.WebhookEvents, request.Model, request.Mode);
        // A staged item whose named upload failed its checks has that problem on its sourceImageUpload; "needs a source" would repeat it.
        var namingUploads = items.Select((item, i) => item?.SourceImageUpload is null ? null : $"items[{i}].sourceImageUrl").OfType<string>().ToHashSet();
        var errors = CaseValidator.Validate(command, submission.Options.Value, submission.Models.Value)
            .Where(e => !(e.Message == CaseValidator.StagedSourceRequired && namingUploads.Contains(e.Field)))
            .Concat(uploads.Errors).ToList();
        errors.AddRange(await WebhookUrlErrorsAsync(command.WebhookUrl, errors, submission.Guard, cancellationToken));
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var key = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey;
        var bodyHash = key is null ? "" : SubmissionFingerprint.Of(tenantId, request, uploads);
        await using var db = await submission.Contexts.CreateDbContextAsync(cancellationToken);
        if (key is not null && await IdempotencyKeys.FindAsync(db, tenantId, key, cancellationToken) is { } earlier)
        {
            // Nothing is stored again (nor its uploads) for a repeat.
            return await Repeat(db, key, earlier, bodyHash, submission, cancellationToken);
        }

        // Before the case is recorded: a case whose images the worker cannot read must never be published.
        await submission.Uploads.StoreAsync(uploads, cancellationToken);
        var outbox = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // The key's primary key decides between concurrent repeats: the loser's insert waits for the winner and does nothing.
            if (key is not null && !await IdempotencyKeys.ClaimAsync(
                    db, tenantId, key, bodyHash, command.JobId, submission.Options.Value.IdempotencyKeyRetention, cancellationToken))
            {
                return null;
            }

            var acceptedAt = submission.Clock.GetUtcNow();
            db.JobRequests.Add(new JobRequest
            {
                JobId = command.JobId, TenantId = command.TenantId, CaseId = command.CaseId, ItemCount = command.Items.Count,
                IdempotencyKey = key, AcceptedAt = acceptedAt, DeadlineAt = acceptedAt + submission.Options.Value.DeadlineFor(command.DeadlineSeconds, command.Mode),
            });
            await db.SaveChangesAsync(cancellationToken);
            var written = submission.Outbox.Begin((NpgsqlTransaction)transaction.GetDbTransaction());
            await written.Publisher.Publish(command, cancellationToken);
            await written.FlushAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return written;
        });
        if (outbox is null)
        {
            return await Repeat(db, key!, (await IdempotencyKeys.FindAsync(db, tenantId, key!, cancellationToken))!, bodyHash, submission, cancellationToken);
        }

        submission.Faults.AfterCommit("job submission");
        await outbox.DispatchAsync(CancellationToken.None);
        submission.Logger.LogInformation(
            "Accepted job {JobId} of case {CaseId} for tenant {TenantId} with {ItemCount} images ({UploadCount} uploaded source images)",
            command.JobId, command.CaseId, command.TenantId, command.Items.Count, uploads.ByPart.Count);
        var statusUrl = $"/v1/jobs/{command.JobId}";
        return TypedResults.Accepted(statusUrl, new JobAcceptedResponse(command.JobId, JobStatuses.Accepted, statusUrl));
    }

    /// <summary>A job's own <c>webhookUrl</c> is held to the outbound address rules of registered endpoints, now rather
    /// than only when the notifier connects (where a refusal would stay invisible to the caller).</summary>
    static async Task<IEnumerable<ValidationError>> WebhookUrlErrorsAsync(
        string? url, IReadOnlyList<ValidationError> found, OutboundAddressGuard guard, CancellationToken cancellationToken) =>
        url is null || found.Any(e => e.Field == "webhookUrl") || await guard.CheckAsync(url, cancellationToken) is not { } refusal
            ? []
            : [new ValidationError("webhookUrl", refusal)];

    /// <summary>A request repeating an idempotency key: the same body is the job it made, with its status now (200, the body of
    /// <c>GET /v1/jobs/{id}</c>); another body is refused (409), naming that job.</summary>
    static async Task<SubmitResult> Repeat(
        JobsDbContext db, string key, IdempotencyRecord earlier, string bodyHash, Submission submission, CancellationToken cancellationToken)
    {
        if (earlier.BodyHash != bodyHash)
        {
            return TypedResults.Problem(
                title: "The idempotency key was used for another request.",
                detail: $"Idempotency key '{key}' was used for another request, which made job {earlier.JobId}; send that request again "
                    + "to get its job, or use a new key for a different request.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["jobId"] = earlier.JobId });
        }

        // The key and the job request commit together, so the job is there.
        return TypedResults.Ok((await submission.Statuses.FindAsync(db, earlier.JobId, Caller.Of(submission.Http.User)!, cancellationToken))!);
    }

    static CaseImageItem ToCaseItem(SubmitJobItem item, string? sourceImageKey) =>
        new(item.ItemId, item.Kind, item.Name, item.Description, item.Prompt, item.AspectRatio, item.SourceImageUrl, item.ImageSize, sourceImageKey);

    static ValidationProblem Invalid(IEnumerable<ValidationError> errors) => ValidationProblems.From(errors, "The case is not valid.");

    static async Task<string> ReadTextAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(file.OpenReadStream());
        return await reader.ReadToEndAsync(cancellationToken);
    }

    static async Task<Results<Ok<JobStatusResponse>, NotFound>> GetStatus(
        Guid jobId, Caller caller, IDbContextFactory<JobsDbContext> contexts, JobStatusReader statuses, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await statuses.FindAsync(db, jobId, caller, cancellationToken) is { } status ? TypedResults.Ok(status) : TypedResults.NotFound();
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

    /// <summary>The image in one of its renditions (<see cref="ImageVariants"/>; the JPEG by default; the others made on first
    /// request by <see cref="ImageRenditions"/>), for a signed link
    /// (<see cref="ImageUrlSigner"/>: a bad or expired one is 403 whatever key comes with it; it covers every variant of its
    /// image) or a key that may see the job. An attempt's files never change once stored, so the answer is cached for good
    /// and revalidated by a strong ETag of the blob's key and version, without reading the blob.</summary>
    static async Task<Results<FileStreamHttpResult, NotFound, ProblemHttpResult, ChallengeHttpResult, ValidationProblem, StatusCodeHttpResult>> GetImage(
        Guid jobId, string itemId, [FromQuery(Name = ImageUrlSigner.ExpiresParameter)] string? expires,
        [FromQuery(Name = ImageUrlSigner.SignatureParameter)] string? signature, HttpContext http, ImageUrlSigner signer,
        IDbContextFactory<JobsDbContext> contexts, IBlobStore blobs, ImageRenditions renditions, CancellationToken cancellationToken,
        string variant = "full")
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

        if (ImageVariants.Named(variant) is not { } rendition)
        {
            return Invalid([new("variant", $"must be one of {string.Join(", ", ImageVariants.All.Select(v => v.Name))}")]);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.JobImages.AsNoTracking()
            .Where(i => i.JobId == jobId && i.ItemId == itemId && i.Status == ImageStatuses.Completed)
            .Select(i => new { i.Location, Tenant = db.Jobs.Where(j => j.CorrelationId == jobId).Select(j => j.TenantId).Single() })
            .SingleOrDefaultAsync(cancellationToken);
        var location = image?.Location is { } stored && (signed || caller!.MaySee(image.Tenant)) ? stored : null;
        if (location is null || await renditions.FindOrMakeAsync(location, rendition, cancellationToken) is not { } found)
        {
            return TypedResults.NotFound();
        }

        var (key, version) = found;
        var entityTag = StrongEntityTag(key, version);
        http.Response.Headers.CacheControl = ImmutableImage;
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Tag == entityTag.Tag || tag.Equals(EntityTagHeaderValue.Any)))
        {
            http.Response.Headers.ETag = entityTag.ToString();
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var stream = await blobs.OpenReadAsync(key, cancellationToken);
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, rendition.ContentType, entityTag: entityTag);
    }

    /// <summary>An attempt's files never change (a redelivered command rewrites them, which changes their version and so the
    /// ETag): caches may keep them for a year without asking; only the caller's own, since links and keys are personal.</summary>
    const string ImmutableImage = "private, max-age=31536000, immutable";

    static EntityTagHeaderValue StrongEntityTag(string key, string version) =>
        new($"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{version}")))[..32]}\"");
}

/// <summary>What both forms of submission need, bound from services by <c>[AsParameters]</c>.</summary>
sealed record Submission(
    IDbContextFactory<JobsDbContext> Contexts,
    TransactionalOutboxes Outbox,
    FaultInjection Faults,
    IOptions<JobOptions> Options,
    IOptions<GeminiOptions> Models,
    SourceUploads Uploads,
    OutboundAddressGuard Guard,
    JobStatusReader Statuses,
    TimeProvider Clock,
    HttpContext Http,
    ILogger<SubmitJobRequest> Logger);
