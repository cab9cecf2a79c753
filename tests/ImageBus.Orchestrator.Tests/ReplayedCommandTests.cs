using ImageBus.Contracts;
using ImageBus.Jobs;
using ImageBus.Messaging;
using MassTransit;

namespace ImageBus.Orchestrator.Tests;

/// <summary>A command that faulted in the worker lands in <c>generate-image_error</c>; an operator fixes the cause and
/// replays it from the dead letters, and the worker then reports the image made for the same attempt.</summary>
public sealed class ReplayedCommandTests
{
    static Task<JobHarness> StartWithBrokenWorker() =>
        JobHarness.Start(configure: bus => bus.AddConsumer<FakeWorker>().Endpoint(e => e.Name = QueueNames.GenerateImage));

    static async Task<GenerateCaseImages> RunFaultedJob(JobHarness jobs)
    {
        var command = Cases.Valid(Guid.NewGuid());
        await jobs.Publish(command);
        await jobs.WaitFor<JobPartiallyCompleted>(command.JobId);
        return command;
    }

    [Fact]
    public async Task The_replayed_success_of_a_faulted_image_completes_it_and_then_the_partial_job()
    {
        await using var jobs = await StartWithBrokenWorker();
        var command = await RunFaultedJob(jobs);

        await jobs.Publish(Cases.Generated(command.JobId, FakeWorker.BrokenItemId));

        var completed = Assert.Single(await jobs.WaitFor<JobCompleted>(command.JobId));
        Assert.Equal(new JobCounts(14, 14, 0, 0, 0), completed.Job.Counts);
        Assert.Equal(new JobBilling(14, 14, 0, 14), completed.Job.Billing);
        var replayed = Assert.Single(completed.Images, i => i.ItemId == FakeWorker.BrokenItemId);
        Assert.Equal((ImageStatuses.Completed, 1, (string?)null), (replayed.Status, replayed.Attempt, replayed.ErrorCode));

        var events = await jobs.JobEvents(command.JobId);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.Job.Sequence));
        var progress = events.OfType<JobProgressed>().Last(p => p.Image.ItemId == FakeWorker.BrokenItemId);
        Assert.Equal(ImageStatuses.Completed, progress.Image.Status);
        Assert.IsType<JobPartiallyCompleted>(events[^3]);
        Assert.Same(progress, events[^2]);
        Assert.IsType<JobCompleted>(events[^1]);

        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal(
            [(1, ImageStatuses.Failed, JobTransitionsWorkerFault), (1, ImageStatuses.Completed, null)],
            saga.FindImage(FakeWorker.BrokenItemId)!.History.Select(h => (h.Attempt, h.Status, h.ErrorCode)));
    }

    [Fact]
    public async Task A_replayed_success_delivered_twice_completes_the_job_once()
    {
        await using var jobs = await StartWithBrokenWorker();
        var command = await RunFaultedJob(jobs);

        await jobs.PublishAll([Cases.Generated(command.JobId, FakeWorker.BrokenItemId), Cases.Generated(command.JobId, FakeWorker.BrokenItemId)]);

        await jobs.WaitFor<JobCompleted>(command.JobId);
        Assert.Single(await jobs.Published<JobCompleted>());
        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal(
            [ImageStatuses.Failed, ImageStatuses.Completed, $"{ImageAttempt.LatePrefix}{ImageStatuses.Completed}"],
            saga.FindImage(FakeWorker.BrokenItemId)!.History.Select(h => h.Status));
        Assert.DoesNotContain(await jobs.Faults(), f => f is not Fault<GenerateImage>);
    }

    [Fact]
    public async Task A_late_success_after_a_failure_the_worker_reported_itself_stays_late_and_the_job_partial()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(new Dictionary<string, string> { ["evidence-02"] = "IMAGE_SAFETY" });

        await jobs.Publish(Cases.Generated(command.JobId, "evidence-02"));

        var saga = await jobs.InState(command.JobId, machine => machine.Partial);
        Assert.Empty(await jobs.Published<JobCompleted>());
        Assert.Equal(new JobCounts(14, 13, 1, 0, 0), saga.Counts);
        Assert.Equal(
            [ImageStatuses.Failed, $"{ImageAttempt.LatePrefix}{ImageStatuses.Completed}"],
            saga.FindImage("evidence-02")!.History.Select(h => h.Status));
    }

    [Fact]
    public async Task A_replayed_success_of_the_first_attempt_after_a_retry_stays_late()
    {
        await using var jobs = await StartWithBrokenWorker();
        var command = await RunFaultedJob(jobs);
        await jobs.Publish(new RetryFailedImages(command.JobId));
        await jobs.WaitFor<JobStarted>(command.JobId, count: 2);
        await jobs.WaitFor<JobPartiallyCompleted>(command.JobId, count: 2);

        await jobs.Publish(Cases.Generated(command.JobId, FakeWorker.BrokenItemId, attempt: 1));

        var saga = await jobs.InState(command.JobId, machine => machine.Partial);
        Assert.Empty(await jobs.Published<JobCompleted>());
        Assert.Equal((ImageStatuses.Failed, 2), (saga.FindImage(FakeWorker.BrokenItemId)!.Status, saga.FindImage(FakeWorker.BrokenItemId)!.Attempt));
    }

    const string JobTransitionsWorkerFault = "WORKER_FAULT";
}
