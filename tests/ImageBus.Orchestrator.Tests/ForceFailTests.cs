using ImageBus.Contracts;
using ImageBus.Orchestrator.Jobs;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The backstop sweeper's <see cref="ForceFailJob"/> for a job still unfinished past its deadline.</summary>
public sealed class ForceFailTests
{
    const string Reason = "still unfinished 0:00:30 past its deadline; ended by the sweeper";

    [Fact]
    public async Task Force_failing_a_generating_job_fails_it_with_the_reason_and_times_out_its_unfinished_images()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();
        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures).Take(3));
        await jobs.WaitFor<JobProgressed>(command.JobId, count: 3);

        await jobs.Publish(new ForceFailJob(command.JobId, Reason));

        var failed = Assert.Single(await jobs.WaitFor<JobFailed>(command.JobId));
        var saga = await jobs.InState(command.JobId, machine => machine.Failed);
        Assert.Equal((JobStatuses.Failed, Reason, 6L), (failed.Job.Status, failed.Reason, failed.Job.Sequence));
        Assert.Equal(new JobCounts(14, 3, 0, 11, 0), failed.Job.Counts);
        Assert.All(failed.Images.Take(3), image => Assert.Equal(ImageStatuses.Completed, image.Status));
        Assert.All(failed.Images.Skip(3), image => Assert.Equal((ImageStatuses.TimedOut, "TIMED_OUT", Reason), (image.Status, image.ErrorCode, image.Error)));
        Assert.Equal(Reason, saga.FailureReason);
        Assert.Empty((await jobs.Slots(Cases.TenantId)).Generating);
        Assert.Empty(await jobs.Published<JobPartiallyCompleted>());
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task Force_failing_a_completed_job_is_ignored()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(Cases.NoFailures);

        await jobs.Publish(new ForceFailJob(command.JobId, Reason));

        Assert.Equal(1, await jobs.Consumed<ForceFailJob>(f => f.JobId == command.JobId));
        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal((17, new JobCounts(14, 14, 0, 0, 0)), (saga.Sequence, saga.Counts));
        Assert.Null(saga.FailureReason);
        Assert.Empty(await jobs.Published<JobFailed>());
        Assert.Empty(await jobs.Faults());
    }
}
