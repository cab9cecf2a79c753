using ImageBus.Contracts;
using ImageBus.Jobs;

namespace ImageBus.Orchestrator.Tests;

public sealed class RetryTests
{
    const string Failing = "evidence-02";
    const string Unanswered = "location-04";

    static readonly Dictionary<string, string> OneFailure = new() { [Failing] = "IMAGE_SAFETY" };

    /// <summary>One image fails and one is never answered, so the job ends partial at its (1 s) deadline.</summary>
    [Fact]
    public async Task Retrying_a_partial_job_sends_only_its_failed_and_timed_out_images_again_at_attempt_2()
    {
        await using var jobs = await JobHarness.Start(options => options.JobDeadline = TimeSpan.FromSeconds(1));
        var command = await jobs.StartJob();
        await jobs.PublishAll(Cases.Results(command, OneFailure, Unanswered));
        await jobs.WaitFor<JobPartiallyCompleted>(command.JobId);

        await jobs.Publish(new RetryFailedImages(command.JobId));

        var retried = Assert.Single(await jobs.WaitFor<JobRetried>(command.JobId));
        await jobs.WaitFor<JobStarted>(command.JobId, count: 2);
        await jobs.PublishAll([Cases.Generated(command.JobId, Failing, attempt: 2), Cases.Generated(command.JobId, Unanswered, attempt: 2)]);
        var completed = Assert.Single(await jobs.WaitFor<JobCompleted>(command.JobId));

        Assert.Equal([Failing, Unanswered], retried.ItemIds);
        Assert.Equal((JobStatuses.Pending, new JobCounts(14, 12, 0, 0, 0)), (retried.Job.Status, retried.Job.Counts));
        var resent = (await jobs.Commands()).Where(c => c.Attempt == 2).ToList();
        Assert.Equal([Failing, Unanswered], resent.Select(c => c.Item.ItemId).Order());
        Assert.All(resent, c => Assert.Equal(command.JobId, c.JobId));
        Assert.Equal(16, (await jobs.Commands()).Count);
        Assert.Equal(new JobCounts(14, 14, 0, 0, 0), completed.Job.Counts);
        Assert.All(completed.Images.Where(i => i.ItemId is Failing or Unanswered), image => Assert.Equal(2, image.Attempt));

        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal(
            [(1, ImageStatuses.Failed, "IMAGE_SAFETY"), (2, ImageStatuses.Completed, null)],
            History(saga.FindImage(Failing)!));
        Assert.Equal(
            [(1, ImageStatuses.TimedOut, "TIMED_OUT"), (2, ImageStatuses.Completed, null)],
            History(saga.FindImage(Unanswered)!));
        Assert.Equal([(1, ImageStatuses.Completed, null)], History(saga.FindImage("evidence-01")!));
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_result_of_the_first_attempt_after_a_retry_is_kept_as_late_and_not_applied()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(OneFailure);
        await jobs.Publish(new RetryFailedImages(command.JobId));
        await jobs.WaitFor<JobStarted>(command.JobId, count: 2);
        var stale = Cases.Generated(command.JobId, Failing);

        await jobs.Publish(stale);

        Assert.Equal(1, await jobs.Consumed<ImageGenerated>(r => r == stale));
        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        var image = saga.FindImage(Failing)!;
        Assert.Equal((ImageStatuses.Queued, 2), (image.Status, image.Attempt));
        Assert.Null(image.Location);
        Assert.Equal([(1, ImageStatuses.Failed, "IMAGE_SAFETY"), (1, "late_completed", null)], History(image));
        Assert.Equal(new JobCounts(14, 13, 0, 0, 0), saga.Counts);
        Assert.DoesNotContain(await jobs.Published<JobProgressed>(), p => p.Image.ItemId == Failing && p.Image.Status == ImageStatuses.Completed);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task Retrying_a_completed_job_does_nothing()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(Cases.NoFailures);

        await jobs.Publish(new RetryFailedImages(command.JobId));

        Assert.Equal(1, await jobs.Consumed<RetryFailedImages>(r => r.JobId == command.JobId));
        var saga = await jobs.InState(command.JobId, machine => machine.Completed);
        Assert.Equal(17, saga.Sequence);
        Assert.All(saga.Images, image => Assert.Equal(1, image.Attempt));
        Assert.Empty(await jobs.Published<JobRetried>());
        Assert.Equal(14, (await jobs.Commands()).Count);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task Every_event_of_a_retried_job_takes_the_next_sequence_number()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.RunJob(OneFailure);
        await jobs.Publish(new RetryFailedImages(command.JobId));
        await jobs.WaitFor<JobStarted>(command.JobId, count: 2);
        await jobs.Publish(Cases.Generated(command.JobId, Failing));
        await jobs.Publish(Cases.Generated(command.JobId, Failing, attempt: 2));
        await jobs.WaitFor<JobCompleted>(command.JobId);

        var events = await jobs.JobEvents(command.JobId);

        Assert.Equal(Enumerable.Range(1, 21).Select(n => (long)n), events.Select(e => e.Job.Sequence));
        (Type Event, string Status)[] expected =
        [
            (typeof(JobAccepted), JobStatuses.Pending),
            (typeof(JobStarted), JobStatuses.Generating),
            .. Enumerable.Repeat((typeof(JobProgressed), JobStatuses.Generating), 14),
            (typeof(JobPartiallyCompleted), JobStatuses.Partial),
            (typeof(JobRetried), JobStatuses.Pending),
            (typeof(JobStarted), JobStatuses.Generating),
            (typeof(JobProgressed), JobStatuses.Generating),
            (typeof(JobCompleted), JobStatuses.Completed),
        ];
        Assert.Equal(expected, events.Select(e => (e.GetType(), e.Job.Status)));
        Assert.Equal(21, (await jobs.InState(command.JobId, machine => machine.Completed)).Sequence);
    }

    static IEnumerable<(int Attempt, string Status, string? ErrorCode)> History(JobImage image) =>
        image.History.Select(h => (h.Attempt, h.Status, h.ErrorCode));
}
