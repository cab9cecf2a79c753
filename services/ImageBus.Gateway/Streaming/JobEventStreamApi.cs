using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Jobs;
using ImageBus.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Gateway.Streaming;

/// <summary><c>GET /v1/jobs/{id}/events</c>: a job's events as Server-Sent Events (<c>id:</c> sequence,
/// <c>event:</c> type, <c>data:</c> the webhook body), read from job_events so any gateway instance can
/// serve any job; ends after the job's terminal event; <c>Last-Event-ID</c> resumes after that sequence. A stream reads
/// when <see cref="JobEventSignals"/> says the job has a new event, and otherwise only every
/// <see cref="FallbackRead"/> (every <see cref="PollInterval"/> while announcements are not being received).</summary>
public static class JobEventStreamApi
{
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan FallbackRead = TimeSpan.FromSeconds(5);

    /// <summary>The notifier may record a job's events out of order; a missing sequence is waited for this
    /// long, so the stream stays in order, before it is skipped.</summary>
    static readonly TimeSpan MissingEventWait = TimeSpan.FromSeconds(10);

    public static IServiceCollection AddJobEventStream(this IServiceCollection services)
    {
        services.AddSingleton<JobEventSignals>();
        services.AddHostedService(provider => provider.GetRequiredService<JobEventSignals>());
        return services;
    }

    public static RouteHandlerBuilder MapJobEventStream(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/jobs/{jobId:guid}/events", Stream).WithTags("Jobs").WithName("StreamJobEvents");

    static async Task<Results<ServerSentEventsResult<string>, NotFound>> Stream(
        Guid jobId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, Caller caller, JobEventSignals signals,
        IDbContextFactory<JobsDbContext> jobContexts, IDbContextFactory<WebhooksDbContext> eventContexts, CancellationToken cancellationToken)
    {
        await using var jobs = await jobContexts.CreateDbContextAsync(cancellationToken);
        await using var recorded = await eventContexts.CreateDbContextAsync(cancellationToken);
        var owner = await jobs.JobRequests.Where(r => r.JobId == jobId).Select(r => r.TenantId).FirstOrDefaultAsync(cancellationToken)
            ?? await jobs.Jobs.Where(j => j.CorrelationId == jobId).Select(j => j.TenantId).FirstOrDefaultAsync(cancellationToken)
            ?? await recorded.JobEvents.Where(e => e.JobId == jobId).Select(e => e.TenantId).FirstOrDefaultAsync(cancellationToken);
        var known = owner is not null && caller.MaySee(owner);
        var after = long.TryParse(lastEventId, out var lastSeen) ? lastSeen : 0;
        return known
            ? TypedResults.ServerSentEvents(ReadAsync(jobId, after, signals, jobContexts, eventContexts, cancellationToken))
            : TypedResults.NotFound();
    }

    static async IAsyncEnumerable<SseItem<string>> ReadAsync(
        Guid jobId, long after, JobEventSignals signals, IDbContextFactory<JobsDbContext> jobContexts,
        IDbContextFactory<WebhooksDbContext> eventContexts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var watch = signals.WatchJob(jobId);
        DateTimeOffset? missingSince = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Before reading: an event recorded while the read runs still wakes the wait below.
            var announced = watch.NextAsync();
            List<JobEventRecord> events;
            await using (var recorded = await eventContexts.CreateDbContextAsync(cancellationToken))
            {
                events = await recorded.JobEvents.AsNoTracking()
                    .Where(e => e.JobId == jobId && e.Sequence > after)
                    .OrderBy(e => e.Sequence)
                    .Take(100)
                    .ToListAsync(cancellationToken);
            }

            if (events.Count == 0 && await IsOverAsync(jobId, after, jobContexts, cancellationToken))
            {
                yield break;
            }

            var waitingForMissing = false;
            foreach (var record in events)
            {
                if (record.Sequence != after + 1 && (missingSince ??= DateTimeOffset.UtcNow) + MissingEventWait > DateTimeOffset.UtcNow)
                {
                    waitingForMissing = true;
                    break;
                }

                missingSince = null;
                yield return new SseItem<string>(record.Payload, record.Type) { EventId = record.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                after = record.Sequence;
                // A terminal event ends the stream only if it is the job's last: a retry sends more after it.
                if (WebhookEventTypes.Terminal.Contains(record.Type) && await IsOverAsync(jobId, after, jobContexts, cancellationToken))
                {
                    yield break;
                }
            }

            var wait = !signals.IsListening ? PollInterval
                : waitingForMissing ? Min(FallbackRead, missingSince!.Value + MissingEventWait - DateTimeOffset.UtcNow)
                : FallbackRead;
            if ((events.Count == 0 || waitingForMissing) && !await WaitAsync(announced, wait, cancellationToken))
            {
                yield break;
            }
        }
    }

    /// <summary>True when the job has ended and the client has seen its last event (<paramref name="after"/> at or past
    /// the saga's last sequence), or the job was rejected (no events, ever).</summary>
    static async Task<bool> IsOverAsync(Guid jobId, long after, IDbContextFactory<JobsDbContext> jobContexts, CancellationToken cancellationToken)
    {
        await using var jobs = await jobContexts.CreateDbContextAsync(cancellationToken);
        var job = await jobs.Jobs.AsNoTracking().Where(j => j.CorrelationId == jobId)
            .Select(j => new { j.CurrentState, j.Sequence }).SingleOrDefaultAsync(cancellationToken);
        return job is not null
            && (job.CurrentState == "Rejected" || (JobState.IsTerminal(job.CurrentState) && after >= job.Sequence));
    }

    /// <summary>Waits for the job's next announcement, at most <paramref name="timeout"/>; false when the client went away.</summary>
    static async Task<bool> WaitAsync(Task announced, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await announced.WaitAsync(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
