using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The job deadline is a real scheduled message here: a short deadline fires within the spec.</summary>
public sealed class JobDeadlineTests
{
    const string DeadlineReason = "the job reached its deadline";

    [Fact]
    public async Task A_job_whose_workers_never_answer_fails_at_its_deadline_with_every_image_timed_out()
    {
        await using var jobs = await JobHarness.Start(options => options.JobDeadline = TimeSpan.FromSeconds(1));
        var command = await jobs.StartJob();

        var failed = Assert.Single(await jobs.WaitFor<JobFailed>(command.JobId));

        var saga = await jobs.InState(command.JobId, machine => machine.Failed);
        Assert.Equal((JobStatuses.Failed, 3, new JobCounts(14, 0, 0, 14, 0)), (failed.Job.Status, failed.Job.Sequence, failed.Job.Counts));
        Assert.Equal(DeadlineReason, failed.Reason);
        Assert.Equal(command.Items.Select(i => i.ItemId), failed.Images.Select(i => i.ItemId));
        Assert.All(failed.Images, image => Assert.Equal((ImageStatuses.TimedOut, "TIMED_OUT", DeadlineReason), (image.Status, image.ErrorCode, image.Error)));
        Assert.All(saga.Images, image => Assert.Equal(ImageStatuses.TimedOut, image.Status));
        Assert.Null(saga.JobDeadlineTokenId);
        Assert.Null(saga.ImageCheckTokenId);
        Assert.Equal([typeof(JobAccepted), typeof(JobStarted), typeof(JobFailed)], (await jobs.JobEvents(command.JobId)).Select(e => e.GetType()));
        Assert.Equal(14, (await jobs.Commands()).Count);
        Assert.Empty((await jobs.Slots(Cases.TenantId)).Generating);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_job_with_some_images_generated_by_its_deadline_ends_partial()
    {
        await using var jobs = await JobHarness.Start(options => options.JobDeadline = TimeSpan.FromSeconds(1));
        var command = await jobs.StartJob();
        var failures = new Dictionary<string, string> { ["evidence-05"] = "IMAGE_SAFETY" };
        string[] unanswered = ["evidence-02", "location-03"];
        await jobs.PublishAll(Cases.Results(command, failures, unanswered));

        var partial = Assert.Single(await jobs.WaitFor<JobPartiallyCompleted>(command.JobId));

        await jobs.InState(command.JobId, machine => machine.Partial);
        Assert.Equal(new JobCounts(14, 11, 1, 2, 0), partial.Job.Counts);
        Assert.Equal(unanswered, partial.Images.Where(i => i.Status == ImageStatuses.TimedOut).Select(i => i.ItemId));
        Assert.All(partial.Images.Where(i => i.Status == ImageStatuses.TimedOut), image => Assert.Equal("TIMED_OUT", image.ErrorCode));
        Assert.Equal("IMAGE_SAFETY", Assert.Single(partial.Images, i => i.Status == ImageStatuses.Failed).ErrorCode);
        Assert.Empty(await jobs.Published<JobFailed>());
        Assert.Empty(await jobs.Published<JobCompleted>());
    }

    /// <summary>With one slot: the first job generates (deadline 6 s), the second waits (deadline 1 s),
    /// the third waits (default deadline). The second ends waiting; the first's end frees the slot for the third.
    /// The 5 s between the two deadlines leave a loaded machine time to look at the first while it still generates.</summary>
    [Fact]
    public async Task A_job_waiting_for_a_slot_ends_at_its_deadline_and_a_job_ending_at_its_deadline_frees_its_slot()
    {
        await using var jobs = await JobHarness.Start(options =>
        {
            options.MaxGeneratingPerTenant = 1;
            options.MinDeadlineSeconds = 1;
        });
        var generating = await jobs.StartJob(Cases.Valid(Guid.NewGuid()) with { DeadlineSeconds = 6 });
        var expiring = Cases.Valid(Guid.NewGuid()) with { DeadlineSeconds = 1 };
        var next = Cases.Valid(Guid.NewGuid());
        await jobs.Submit(expiring);
        await jobs.Submit(next);

        var failed = Assert.Single(await jobs.WaitFor<JobFailed>(expiring.JobId));

        Assert.Equal((JobStatuses.Failed, DeadlineReason, new JobCounts(14, 0, 0, 14, 0)), (failed.Job.Status, failed.Reason, failed.Job.Counts));
        Assert.All(failed.Images, image => Assert.Equal((ImageStatuses.TimedOut, "TIMED_OUT"), (image.Status, image.ErrorCode)));
        Assert.Equal([typeof(JobAccepted), typeof(JobFailed)], (await jobs.JobEvents(expiring.JobId)).Select(e => e.GetType()));
        await jobs.InState(generating.JobId, machine => machine.Generating);
        await jobs.InState(next.JobId, machine => machine.Pending);
        Assert.Equal([next.JobId], (await jobs.Slots(Cases.TenantId)).Waiting);

        await jobs.WaitFor<JobStarted>(next.JobId);

        Assert.Equal(DeadlineReason, Assert.Single(await jobs.Published<JobFailed>(), f => f.Job.JobId == generating.JobId).Reason);
        await jobs.InState(next.JobId, machine => machine.Generating);
        var commands = await jobs.Commands();
        Assert.DoesNotContain(commands, c => c.JobId == expiring.JobId);
        Assert.Equal(14, commands.Count(c => c.JobId == next.JobId));
        Assert.Equal([next.JobId], (await jobs.Slots(Cases.TenantId)).Generating);
        Assert.Empty(await jobs.Faults());
    }
}
