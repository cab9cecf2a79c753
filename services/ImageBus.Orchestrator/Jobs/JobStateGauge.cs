using System.Diagnostics.Metrics;
using ImageBus.Jobs;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>Metric <c>imagebus.jobs</c>: how many jobs are in each state, counted in the database every
/// <see cref="RefreshInterval"/> (a scrape must not wait on a query). Every orchestrator reports the same global
/// figures: aggregate them with max, not sum.</summary>
public sealed class JobStateGauge : BackgroundService
{
    static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);

    readonly IDbContextFactory<JobsDbContext> contexts;
    readonly TimeProvider clock;
    readonly ILogger<JobStateGauge> logger;
    volatile IReadOnlyList<StateCount> counts = [];

    public JobStateGauge(IDbContextFactory<JobsDbContext> contexts, TimeProvider clock, IMeterFactory meters, ILogger<JobStateGauge> logger)
    {
        this.contexts = contexts;
        this.clock = clock;
        this.logger = logger;
        meters.Create(OrchestratorMetrics.MeterName).CreateObservableGauge(
            "imagebus.jobs",
            () => counts.Select(c => new Measurement<long>(c.Count, new KeyValuePair<string, object?>("state", c.State))),
            unit: "{job}",
            description: "Jobs in each state (saga state names; jobs the gateway accepted and no orchestrator took on yet are Accepted)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, clock);
        do
        {
            try
            {
                counts = await CountAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not count jobs by state; keeping the last figures");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    async Task<IReadOnlyList<StateCount>> CountAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return [.. (await StuckJobs.CountByStateAsync(db, cancellationToken)).Select(c => new StateCount(c.State, c.Count))];
    }

    sealed record StateCount(string State, long Count);
}

/// <summary>The orchestrator's meter.</summary>
public static class OrchestratorMetrics
{
    public const string MeterName = "ImageBus.Orchestrator";
}
