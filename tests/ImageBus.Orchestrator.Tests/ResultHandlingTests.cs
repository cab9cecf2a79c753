using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

public sealed class ResultHandlingTests
{
    [Fact]
    public async Task A_duplicate_result_is_applied_once()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();
        var result = Cases.Generated(command.JobId, "evidence-01");

        await jobs.Publish(result);
        await jobs.Publish(result);

        Assert.Equal(2, await jobs.Consumed<ImageGenerated>(r => r == result));
        var progressed = Assert.Single(await jobs.Published<JobProgressed>());
        Assert.Equal(("evidence-01", ImageStatuses.Completed), (progressed.Image.ItemId, progressed.Image.Status));
        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(new JobCounts(14, 1, 0, 0, 0), saga.Counts);
        Assert.Equal(3, saga.Sequence);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_result_for_another_attempt_is_ignored()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();

        await jobs.Publish(Cases.Generated(command.JobId, "evidence-01", attempt: 2));

        Assert.Equal(1, await jobs.Consumed<ImageGenerated>(r => r.JobId == command.JobId));
        Assert.Empty(await jobs.Published<JobProgressed>());
        var image = (await jobs.InState(command.JobId, machine => machine.Generating)).FindImage("evidence-01")!;
        Assert.Equal((ImageStatuses.Queued, 1, null), (image.Status, image.Attempt, image.Location));
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_result_for_an_unknown_job_is_discarded()
    {
        await using var jobs = await JobHarness.Start();
        var result = Cases.Generated(Guid.NewGuid(), "evidence-01");

        await jobs.Publish(result);

        Assert.Equal(1, await jobs.Consumed<ImageGenerated>(r => r == result));
        Assert.Equal(result, Assert.Single(await jobs.AllPublished()));
        Assert.Equal(0, await jobs.Created(result.JobId));
        Assert.Empty(await jobs.Commands());
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task Results_after_the_job_completed_are_ignored()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(Cases.NoFailures);
        var late = Cases.Generated(command.JobId, "evidence-01");

        await jobs.Publish(late);
        await jobs.Publish(Cases.Failed(command.JobId, "evidence-02", "TIMEOUT"));

        Assert.Equal(2, await jobs.Consumed<ImageGenerated>(r => r == late));
        Assert.Equal(1, await jobs.Consumed<ImageGenerationFailed>(r => r.JobId == command.JobId));
        var events = await jobs.JobEvents(command.JobId);
        Assert.Equal(17, events.Count);
        Assert.IsType<JobCompleted>(events[^1]);
        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal(17, saga.Sequence);
        Assert.Equal(new JobCounts(14, 14, 0, 0, 0), saga.Counts);
        Assert.Empty(await jobs.Faults());
    }
}
