using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

public sealed class CancelTests
{
    const string Reason = "the author rewrote the case";

    [Fact]
    public async Task Cancelling_a_generating_job_cancels_its_unfinished_images_and_frees_its_slot()
    {
        await using var jobs = await JobHarness.Start(options => options.MaxGeneratingPerTenant = 1);
        var command = await jobs.StartJob();
        var waiting = Cases.Valid(Guid.NewGuid());
        await jobs.Submit(waiting);
        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures).Take(3));
        await jobs.WaitFor<JobProgressed>(command.JobId, count: 3);

        await jobs.Publish(new CancelCaseImages(command.JobId, Reason));

        var cancelled = Assert.Single(await jobs.WaitFor<JobCancelled>(command.JobId));
        await jobs.WaitFor<JobStarted>(waiting.JobId);
        var saga = await jobs.InState(command.JobId, machine => machine.Cancelled);
        Assert.Equal((JobStatuses.Cancelled, Reason, 6L), (cancelled.Job.Status, cancelled.Reason, cancelled.Job.Sequence));
        Assert.Equal(new JobCounts(14, 3, 0, 0, 11), cancelled.Job.Counts);
        Assert.Equal(command.Items.Select(i => i.ItemId), cancelled.Images.Select(i => i.ItemId));
        Assert.All(cancelled.Images.Take(3), image => Assert.Equal(ImageStatuses.Completed, image.Status));
        Assert.All(cancelled.Images.Skip(3), image => Assert.Equal((ImageStatuses.Cancelled, "CANCELLED", Reason), (image.Status, image.ErrorCode, image.Error)));
        Assert.Equal(cancelled.Images, saga.Images.OrderBy(i => i.Position).Select(i => i.ToResult()));
        Assert.Null(saga.JobDeadlineTokenId);
        Assert.Null(saga.ImageCheckTokenId);
        await jobs.InState(waiting.JobId, machine => machine.Generating);
        var commands = await jobs.Commands();
        Assert.Equal(14, commands.Count(c => c.JobId == command.JobId));
        Assert.Equal(14, commands.Count(c => c.JobId == waiting.JobId));
        Assert.Equal([waiting.JobId], (await jobs.Slots(Cases.TenantId)).Generating);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_job_waiting_for_a_slot_can_be_cancelled_and_never_starts()
    {
        await using var jobs = await JobHarness.Start(options => options.MaxGeneratingPerTenant = 1);
        var running = await jobs.StartJob();
        var waiting = Cases.Valid(Guid.NewGuid());
        await jobs.Submit(waiting);

        await jobs.Publish(new CancelCaseImages(waiting.JobId));

        var cancelled = Assert.Single(await jobs.WaitFor<JobCancelled>(waiting.JobId));
        Assert.Equal((JobStatuses.Cancelled, "cancelled by request", new JobCounts(14, 0, 0, 0, 14)), (cancelled.Job.Status, cancelled.Reason, cancelled.Job.Counts));
        Assert.Empty((await jobs.Slots(Cases.TenantId)).Waiting);

        await jobs.PublishAll(Cases.Results(running, Cases.NoFailures));

        await jobs.WaitFor<JobCompleted>(running.JobId);
        var saga = await jobs.InState(waiting.JobId, machine => machine.Cancelled);
        Assert.All(saga.Images, image => Assert.Equal(ImageStatuses.Cancelled, image.Status));
        Assert.Equal([typeof(JobAccepted), typeof(JobCancelled)], (await jobs.JobEvents(waiting.JobId)).Select(e => e.GetType()));
        Assert.DoesNotContain(await jobs.Commands(), c => c.JobId == waiting.JobId);
        var slots = await jobs.Slots(Cases.TenantId);
        Assert.Empty(slots.Generating);
        Assert.Empty(slots.Waiting);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task Cancelling_a_completed_job_changes_nothing()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(Cases.NoFailures);

        await jobs.Publish(new CancelCaseImages(command.JobId, Reason));

        Assert.Equal(1, await jobs.Consumed<CancelCaseImages>(c => c.JobId == command.JobId));
        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal((17, new JobCounts(14, 14, 0, 0, 0)), (saga.Sequence, saga.Counts));
        Assert.Null(saga.FailureReason);
        Assert.Empty(await jobs.Published<JobCancelled>());
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_result_for_a_cancelled_image_is_kept_as_late_and_does_not_reopen_the_job()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();
        await jobs.Publish(new CancelCaseImages(command.JobId, Reason));
        await jobs.WaitFor<JobCancelled>(command.JobId);
        var late = Cases.Generated(command.JobId, "evidence-01");

        await jobs.Publish(late);
        await jobs.Publish(late);

        Assert.Equal(2, await jobs.Consumed<ImageGenerated>(r => r == late));
        var saga = await jobs.InState(command.JobId, machine => machine.Cancelled);
        var image = saga.FindImage("evidence-01")!;
        Assert.Equal(ImageStatuses.Cancelled, image.Status);
        Assert.Null(image.Location);
        Assert.Equal(
            [(1, ImageStatuses.Cancelled, (string?)null), (1, "late_completed", late.Location)],
            image.History.Select(h => (h.Attempt, h.Status, h.Location)));
        Assert.Equal((3, new JobCounts(14, 0, 0, 0, 14)), (saga.Sequence, saga.Counts));
        Assert.Empty(await jobs.Published<JobProgressed>());
        Assert.Empty(await jobs.Faults());
    }
}
