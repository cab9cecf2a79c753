using System.Diagnostics.Metrics;
using ImageBus.Contracts;
using ImageBus.Jobs;
using ImageBus.Orchestrator.Jobs;
using ImageBus.Messaging.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace ImageBus.Persistence.Tests;

/// <summary>The backstop: a job still generating past its deadline (its deadline message lost) is
/// found, counted and — unless in dry-run mode — forced to failed with a reason.</summary>
public sealed class OverdueJobSweeperTests
{
    /// <summary>Makes the harness's message lists answer what they hold now.</summary>
    static readonly CancellationToken CancelledAlready = new(canceled: true);

    [Fact]
    public async Task A_job_past_its_deadline_is_only_reported_in_dry_run_and_forced_to_failed_otherwise()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var jobId = Guid.NewGuid();
        var items = new[] { new CaseImageItem("a", ImageKinds.Custom, "A", Prompt: "a"), new CaseImageItem("b", ImageKinds.Custom, "B", Prompt: "b") };
        await host.Harness.Bus.Publish(new GenerateCaseImages(jobId, "tenant-s", "case-s", items, 256));
        await host.WaitForStateAsync(jobId, "Generating", TimeSpan.FromSeconds(30));
        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            // As if the scheduled deadline had been lost: the job is an hour overdue and still generating.
            await db.Database.ExecuteSqlAsync($"UPDATE jobs SET deadline_at = now() - interval '1 hour' WHERE job_id = {jobId}");
        }

        OverdueJobSweeper Sweeper(bool dryRun) => new(host.Contexts, host.Harness.Bus,
            Options.Create(new SweeperOptions { Grace = TimeSpan.FromSeconds(30), DryRun = dryRun }), Options.Create(new JobOptions()), TimeProvider.System,
            metrics.GetRequiredService<IMeterFactory>(), NullLogger<OverdueJobSweeper>.Instance);

        Assert.Equal(1, await Sweeper(dryRun: true).SweepAsync(CancellationToken.None));
        await host.Harness.InactivityTask;
        Assert.Equal("Generating", (await host.WaitForStateAsync(jobId, "Generating", TimeSpan.FromSeconds(5))).CurrentState);

        Assert.Equal(1, await Sweeper(dryRun: false).SweepAsync(CancellationToken.None));
        var job = await host.WaitForStateAsync(jobId, "Failed", TimeSpan.FromSeconds(30));
        Assert.Contains("sweeper", job.FailureReason);
        Assert.All(job.Images, i => Assert.Equal(ImageStatuses.TimedOut, i.Status));
        Assert.Equal(0, await Sweeper(dryRun: false).SweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_job_accepted_but_never_started_is_recorded_failed_with_the_reason_once_past_its_deadline()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var overdueId = Guid.NewGuid();
        var notYetId = Guid.NewGuid();
        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            // As the gateway records them; no saga ever took these on (the command was refused or lost).
            var now = DateTimeOffset.UtcNow;
            db.JobRequests.Add(new JobRequest
            {
                JobId = overdueId, TenantId = "tenant-u", CaseId = "case-u", ItemCount = 3, AcceptedAt = now.AddHours(-1), DeadlineAt = now.AddMinutes(-50),
            });
            db.JobRequests.Add(new JobRequest
            {
                JobId = notYetId, TenantId = "tenant-u", CaseId = "case-v", ItemCount = 1, AcceptedAt = now, DeadlineAt = now.AddMinutes(10),
            });
            await db.SaveChangesAsync();
        }

        var sweeper = new OverdueJobSweeper(host.Contexts, host.Harness.Bus, Options.Create(new SweeperOptions { Grace = TimeSpan.FromSeconds(30) }),
            Options.Create(new JobOptions()), TimeProvider.System, metrics.GetRequiredService<IMeterFactory>(), NullLogger<OverdueJobSweeper>.Instance);

        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        var job = await host.WaitForStateAsync(overdueId, "Failed", TimeSpan.FromSeconds(30));
        Assert.Contains("never started", job.FailureReason);
        Assert.Equal(("tenant-u", "case-u"), (job.TenantId, job.CaseId));
        Assert.NotNull(job.FinishedAt);
        // The terminal event a saga-made job would get, for webhooks and streams.
        // Published after the commit the state was read from: looked for until it is there.
        var published = false;
        for (var tries = 0; tries < 150 && !published; tries++)
        {
            published = host.Harness.Published.Select<JobFailed>(CancelledAlready).Any(m => m.Context.Message.Job.JobId == overdueId);
            await Task.Delay(published ? 0 : 200);
        }

        Assert.True(published, "no JobFailed published for the job");
        await using (var db = await host.Contexts.CreateDbContextAsync())
        {
            Assert.False(await db.Jobs.AnyAsync(j => j.CorrelationId == notYetId));
        }

        // Taken on now: not found again.
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
    }
}
