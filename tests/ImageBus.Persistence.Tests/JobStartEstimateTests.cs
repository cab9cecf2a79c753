using ImageBus.Contracts;
using ImageBus.Jobs;
using ImageBus.Messaging.Sagas;
using Xunit;

namespace ImageBus.Persistence.Tests;

/// <summary>A pending live job's place in its tenant's line and its estimated start, read from the jobs table: the tenant's
/// slots free up as its generating jobs reach the median duration of its finished ones, and each job ahead keeps a slot that long.</summary>
public sealed class JobStartEstimateTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    static JobState Job(string tenant, string state, DateTimeOffset created, DateTimeOffset? started = null, DateTimeOffset? finished = null,
        string? mode = null) => new()
    {
        CorrelationId = Guid.NewGuid(), TenantId = tenant, CaseId = "case", CurrentState = state, ImageSize = 256, Mode = mode,
        CreatedAt = created, UpdatedAt = created, StartedAt = started, FinishedAt = finished,
    };

    static TimeSpan Minutes(int minutes) => TimeSpan.FromMinutes(minutes);

    [Fact]
    public async Task Jobs_ahead_take_the_slots_as_they_free_at_the_tenants_typical_duration()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        var first = Job("t", "Pending", Now - Minutes(3));
        var second = Job("t", "Pending", Now - Minutes(2));
        var third = Job("t", "Pending", Now - Minutes(1));
        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            // Finished in 10, 20 and 30 minutes: a job takes 20.
            db.Jobs.AddRange(
                Job("t", "Completed", Now - Minutes(90), Now - Minutes(90), Now - Minutes(80)),
                Job("t", "Partial", Now - Minutes(80), Now - Minutes(80), Now - Minutes(60)),
                Job("t", "Completed", Now - Minutes(70), Now - Minutes(70), Now - Minutes(40)),
                // Two slots taken: one frees in 15 minutes, the other is past its typical end (free now).
                Job("t", "Generating", Now - Minutes(9), Now - Minutes(5)),
                Job("t", "Generating", Now - Minutes(40), Now - Minutes(30)),
                // Not in the line: a batch job takes no slot, another tenant has slots of its own.
                Job("t", "Pending", Now - Minutes(4), mode: GenerationModes.Batch),
                Job("other", "Pending", Now - Minutes(5)),
                first, second, third);
            await db.SaveChangesAsync();
        }

        await using var read = await host.Contexts.CreateDbContextAsync();
        Assert.Equal(new JobStartEstimate(0, Now), await JobStartEstimates.ForAsync(read, first, slotsPerTenant: 2, Now, CancellationToken.None));
        Assert.Equal(new JobStartEstimate(1, Now + Minutes(15)), await JobStartEstimates.ForAsync(read, second, 2, Now, CancellationToken.None));
        Assert.Equal(new JobStartEstimate(2, Now + Minutes(20)), await JobStartEstimates.ForAsync(read, third, 2, Now, CancellationToken.None));
    }

    [Fact]
    public async Task A_tenant_without_finished_jobs_is_estimated_by_everyones_and_nothing_finished_means_no_estimate()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        var waiting = Job("new", "Pending", Now - Minutes(1));
        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            db.Jobs.AddRange(Job("new", "Generating", Now - Minutes(2), Now - Minutes(2)), waiting);
            await db.SaveChangesAsync();
        }

        await using (var read = await host.Contexts.CreateDbContextAsync())
        {
            Assert.Equal(new JobStartEstimate(0, null), await JobStartEstimates.ForAsync(read, waiting, 1, Now, CancellationToken.None));
        }

        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            db.Jobs.Add(Job("someone", "Completed", Now - Minutes(60), Now - Minutes(60), Now - Minutes(50)));
            await db.SaveChangesAsync();
        }

        await using var again = await host.Contexts.CreateDbContextAsync();
        // The generating job started 2 minutes ago and jobs take 10: it frees its slot in 8.
        Assert.Equal(new JobStartEstimate(0, Now + Minutes(8)), await JobStartEstimates.ForAsync(again, waiting, 1, Now, CancellationToken.None));
    }
}
