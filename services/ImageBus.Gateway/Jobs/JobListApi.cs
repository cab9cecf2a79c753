using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Gateway.Jobs;

/// <summary>One job in <c>GET /v1/jobs</c>: where it stands, without its images.</summary>
public sealed record JobSummary(
    Guid JobId, string TenantId, string CaseId, string Status, JobCounts Counts, JobBilling Billing,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt, string StatusUrl);

/// <summary>A page of jobs, newest first; <see cref="NextCursor"/> asks for the next one (null on the last page).</summary>
public sealed record JobPage(IReadOnlyList<JobSummary> Items, string? NextCursor);

/// <summary><c>GET /v1/jobs</c>: the caller's jobs (an admin key: every tenant's, or one with <c>tenantId</c>), filtered by
/// status, case id and creation time, in pages by an opaque cursor (keyset on creation time and id, so a page never repeats or
/// skips a job when new ones arrive). A job is listed once the orchestrator has taken it on; before that, and when refused
/// before it could be stored, it is at its own status URL only.</summary>
public static class JobListApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static RouteHandlerBuilder MapJobList(this RouteGroupBuilder jobs) =>
        jobs.MapGet("/", List).WithName("ListJobs");

    static async Task<Results<Ok<JobPage>, ValidationProblem>> List(
        Caller caller, string? status, string? caseId, string? tenantId, DateTimeOffset? createdFrom, DateTimeOffset? createdTo,
        int? limit, string? cursor, IDbContextFactory<JobsDbContext> contexts, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var states = JobStatuses.All.Contains(status ?? "") ? status : null;
        if (status is not null && states is null)
        {
            errors["status"] = [$"must be one of {string.Join(", ", JobStatuses.All)}"];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"must be 1–{MaxLimit}"];
        }

        if (createdFrom > createdTo)
        {
            errors["createdFrom"] = ["must not be after createdTo"];
        }

        var after = cursor is null ? null : KeysetCursor.Read(cursor);
        if (cursor is not null && after is null)
        {
            errors["cursor"] = ["is not a cursor this API gave"];
        }

        if (!caller.IsAdmin && tenantId is not null && tenantId != caller.Tenant)
        {
            // A tenant key lists its own jobs only; naming another tenant finds none rather than confirming it exists.
            return TypedResults.Ok(new JobPage([], null));
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The job list request is not valid.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = caller.IsAdmin ? tenantId : caller.Tenant;
        var query = db.Jobs.AsNoTracking();
        query = owner is null ? query : query.Where(j => j.TenantId == owner);
        query = caseId is null ? query : query.Where(j => j.CaseId == caseId);
        // The saga's state names are the statuses capitalised (JobState.StatusOf).
        var state = states is null ? null : char.ToUpperInvariant(states[0]) + states[1..];
        query = state is null ? query : query.Where(j => j.CurrentState == state);
        query = createdFrom is null ? query : query.Where(j => j.CreatedAt >= createdFrom);
        query = createdTo is null ? query : query.Where(j => j.CreatedAt < createdTo);
        if (after is { } position)
        {
            // A row comparison, (created_at, job_id) < (…, …), which the index order serves.
            query = query.Where(j => EF.Functions.LessThan(ValueTuple.Create(j.CreatedAt, j.CorrelationId), ValueTuple.Create(position.At, position.Id)));
        }

        var take = limit ?? DefaultLimit;
        var page = await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.CorrelationId).Take(take + 1)
            .ToListAsync(cancellationToken);
        var items = page.Take(take).Select(j => new JobSummary(
            j.CorrelationId, j.TenantId, j.CaseId, j.Status, j.Counts, j.Billing, j.CreatedAt, j.UpdatedAt, j.FinishedAt,
            $"/v1/jobs/{j.CorrelationId}")).ToList();
        return TypedResults.Ok(new JobPage(items, page.Count > take ? KeysetCursor.Write(items[^1].CreatedAt, items[^1].JobId) : null));
    }
}
