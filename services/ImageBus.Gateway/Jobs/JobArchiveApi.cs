using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageBus.Api;
using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Jobs;
using ImageBus.Storage;
using ImageBus.Tenants;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace ImageBus.Gateway.Jobs;

/// <summary><c>GET /v1/jobs/{id}/archive.zip</c>: every completed image of the job as <c>{itemId}.jpg</c> and a
/// <see cref="JobArchiveManifest"/>, streamed to the caller entry by entry (never the whole zip in memory). Any job the caller
/// may see has an archive, whatever its state: a partial job's lists its failed items without a file, and a job with no
/// image yet answers a zip holding only the manifest, which says where the job stands — an answer, not an error.</summary>
public static partial class JobArchiveApi
{
    public const string ManifestName = "manifest.json";

    public static RouteHandlerBuilder MapJobArchive(this RouteGroupBuilder jobs) =>
        jobs.MapGet("/{jobId:guid}/archive.zip", GetArchive).WithName("GetJobArchive").Produces(StatusCodes.Status200OK, contentType: "application/zip");

    static async Task<Results<PushStreamHttpResult, NotFound>> GetArchive(
        Guid jobId, Caller caller, HttpContext http, IDbContextFactory<JobsDbContext> contexts, JobStatusReader statuses, IBlobStore blobs,
        IOptions<HttpJsonOptions> json, TimeProvider clock, ILogger<JobArchiveManifest> logger, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await statuses.FindAsync(db, jobId, caller, cancellationToken) is not { } job)
        {
            return TypedResults.NotFound();
        }

        var locations = await db.JobImages.AsNoTracking()
            .Where(i => i.JobId == jobId && i.Status == ImageStatuses.Completed && i.Location != null)
            .ToDictionaryAsync(i => i.ItemId, i => i.Location!, cancellationToken);
        // ZipArchive writes the entries' data asynchronously, but an entry's stream flushes its last bytes synchronously when
        // disposed, DisposeAsync included (.NET 10): this response allows it rather than holding an entry in memory.
        http.Features.GetRequiredFeature<IHttpBodyControlFeature>().AllowSynchronousIO = true;
        return TypedResults.Stream(
            body => WriteAsync(body, job, locations, blobs, json.Value.SerializerOptions, clock, logger, cancellationToken),
            "application/zip", FileNameOf(job));
    }

    /// <summary>Writes the images first, then the manifest, so that it names exactly the files the archive holds (an image
    /// removed meanwhile, by retention, is listed without a file).</summary>
    static async Task WriteAsync(
        Stream body, JobStatusResponse job, Dictionary<string, string> locations, IBlobStore blobs, JsonSerializerOptions json,
        TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        await using (var archive = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            foreach (var image in job.Images.Where(i => locations.ContainsKey(i.ItemId)))
            {
                await using var stored = await blobs.OpenReadAsync(locations[image.ItemId], cancellationToken);
                if (stored is null)
                {
                    logger.LogWarning("Image {ItemId} of job {JobId} is gone from the blob store; the archive lists it without a file",
                        image.ItemId, job.JobId);
                    continue;
                }

                // JPEG is compressed already: stored as it is.
                var entry = archive.CreateEntry(FileNameOf(image.ItemId), CompressionLevel.NoCompression);
                await using (var content = await entry.OpenAsync(cancellationToken))
                {
                    await stored.CopyToAsync(content, cancellationToken);
                }

                written.Add(image.ItemId);
            }

            var manifest = new JobArchiveManifest(
                job.JobId, job.TenantId, job.CaseId, job.Status, job.Counts, job.Billing, job.FailureReason, job.CreatedAt, job.FinishedAt,
                clock.GetUtcNow(),
                [.. job.Images.Select(i => new JobArchiveItem(
                    i.ItemId, i.Kind, i.Name, i.Status, i.Attempt, i.Width, i.Height,
                    written.Contains(i.ItemId) ? FileNameOf(i.ItemId) : null, i.ErrorCode, i.Error))]);
            await using var manifestStream = await archive.CreateEntry(ManifestName, CompressionLevel.Optimal).OpenAsync(cancellationToken);
            await JsonSerializer.SerializeAsync(manifestStream, manifest, json, cancellationToken);
        }
    }

    /// <summary>Item ids are of a file-safe charset and unique ignoring case within a job, so they name their files as they are.</summary>
    static string FileNameOf(string itemId) => $"{itemId}.jpg";

    /// <summary><c>{caseId}-{jobId}.zip</c>, the case id (free text) cut down to characters every file system and browser takes.</summary>
    static string FileNameOf(JobStatusResponse job)
    {
        var caseId = UnsafeFileNameCharacters().Replace(job.CaseId, "_").Trim('.');
        return $"{(caseId.Length > 100 ? caseId[..100] : caseId)}-{job.JobId}.zip";
    }

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex UnsafeFileNameCharacters();
}
