using ImageBus.Api;
using ImageBus.Batches;
using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Jobs;
using ImageBus.Tenants;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Gateway.Jobs;

/// <summary>A job's status as the API answers it, the same on every route that shows one (status, repeat, archive).</summary>
public sealed class JobStatusReader(ImageUrlSigner signer, GeminiBatchStore batches, IOptions<JobOptions> options, TimeProvider clock)
{
    /// <summary>The job's status as <paramref name="caller"/> may see it; null for a job that does not exist or is another tenant's.</summary>
    public async Task<JobStatusResponse?> FindAsync(JobsDbContext db, Guid jobId, Caller caller, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.CorrelationId == jobId, cancellationToken);
        if (job is not null)
        {
            if (!caller.MaySee(job.TenantId))
            {
                return null;
            }

            // Only a batch job has batches, and only a live one waiting for a slot a start estimate: others cost no more queries.
            var inBatches = job.IsBatch ? await batches.ForJobAsync(jobId, cancellationToken) : JobBatches.None;
            var start = job.Status == JobStatuses.Pending && !job.IsBatch
                ? await JobStartEstimates.ForAsync(db, job, options.Value.MaxGeneratingPerTenant, clock.GetUtcNow(), cancellationToken)
                : null;
            return ToResponse(job, await signer.CurrentAsync(cancellationToken), inBatches, start);
        }

        // Accepted by the gateway and not yet taken on by the orchestrator, or refused by it before it could store the
        // job (then the request carries the reason).
        var request = await db.JobRequests.AsNoTracking().SingleOrDefaultAsync(r => r.JobId == jobId, cancellationToken);
        return request is null || !caller.MaySee(request.TenantId)
            ? null
            : new JobStatusResponse(
                request.JobId, request.TenantId, request.CaseId, request.RejectedReason is null ? JobStatuses.Accepted : JobStatuses.Rejected,
                null, new JobCounts(request.ItemCount, 0, 0, 0, 0), request.AcceptedAt, request.RejectedAt ?? request.AcceptedAt,
                request.RejectedAt, request.DeadlineAt, request.RejectedReason, null, null,
                new JobBilling(0, 0, request.ItemCount, 0), []);
    }

    static JobStatusResponse ToResponse(JobState job, ImageUrls urls, JobBatches batches, JobStartEstimate? start) => new(
        job.CorrelationId, job.TenantId, job.CaseId, job.Status, job.Model, job.Counts, job.CreatedAt, job.UpdatedAt, job.FinishedAt,
        job.DeadlineAt, job.FailureReason, job.EstimatedCostUsd, job.TotalTokens, job.Billing,
        job.Images.OrderBy(i => i.Position).Select(i => new ImageStatusResponse(
            i.ItemId, i.Kind, i.Name, i.Status, i.Step, i.Analysis, i.Attempt, i.Width, i.Height,
            i.Status == ImageStatuses.Completed ? urls.For(job.CorrelationId, i.ItemId) : null,
            i.ErrorCode, i.Error, i.Model, i.TotalTokens, i.EstimatedCostUsd, i.Billed, i.BilledCalls,
            i.History.Select(h => new ImageAttemptResponse(h.Attempt, h.Status, h.ErrorCode, h.Error, h.At, h.BilledCalls)).ToList(),
            i.Route, batches.Images.FirstOrDefault(b => b.ItemId == i.ItemId && b.Attempt == i.Attempt)?.BatchId)).ToList(),
        job.Mode ?? GenerationModes.Live,
        batches.Batches.Select(b => new JobBatchResponse(b.BatchId, b.GeminiName, b.State, b.Images, b.OpenedAt, b.SubmittedAt, b.EndedAt)).ToList(),
        job.StartedAt, start?.JobsAhead, start?.EstimatedStartAt);
}
