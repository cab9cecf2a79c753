using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

/// <summary>
/// The image check is a real scheduled message (every second here); the orchestrator's clock only
/// moves when the spec advances it, so an image is overdue exactly when the spec says so. A check
/// that finds nothing overdue schedules the next one, so the outcome does not depend on which comes
/// first, the check or the spec's advance.
/// </summary>
public sealed class ImageDeadlineTests
{
    static readonly TimeSpan ImageDeadline = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_unanswered_image_is_sent_once_more_then_timed_out_and_an_answer_after_the_resend_counts()
    {
        await using var jobs = await JobHarness.Start(options => options.ImageDeadline = ImageDeadline);
        var command = await jobs.StartJob();
        const string answeredLate = "evidence-01";
        const string neverAnswered = "evidence-02";
        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures, answeredLate, neverAnswered));
        await jobs.WaitFor<JobProgressed>(command.JobId, count: 12);

        jobs.Clock.Advance(ImageDeadline);
        await jobs.WaitForCommands(c => c.Item.ItemId is answeredLate or neverAnswered, count: 4);

        // Sent once more, the images get a whole deadline again.
        var resent = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.All([resent.FindImage(answeredLate)!, resent.FindImage(neverAnswered)!],
            image => Assert.Equal((ImageStatuses.Queued, 2), (image.Status, image.Dispatches)));
        await jobs.Publish(Cases.Generated(command.JobId, answeredLate));
        await jobs.WaitFor<JobProgressed>(p => p.Image.ItemId == answeredLate);
        jobs.Clock.Advance(ImageDeadline);

        var partial = Assert.Single(await jobs.WaitFor<JobPartiallyCompleted>(command.JobId));

        var saga = await jobs.InState(command.JobId, machine => machine.Partial);
        Assert.Equal(new JobCounts(14, 13, 0, 1, 0), partial.Job.Counts);
        var sent = await jobs.Commands();
        Assert.Equal(16, sent.Count);
        Assert.Equal([1, 1], sent.Where(c => c.Item.ItemId == neverAnswered).Select(c => c.Attempt));
        Assert.Equal([1, 1], sent.Where(c => c.Item.ItemId == answeredLate).Select(c => c.Attempt));

        var timedOut = saga.FindImage(neverAnswered)!;
        Assert.Equal((ImageStatuses.TimedOut, "TIMED_OUT", 2, 1), (timedOut.Status, timedOut.ErrorCode, timedOut.Dispatches, timedOut.Attempt));
        var progressed = await jobs.Published<JobProgressed>();
        Assert.Equal(ImageStatuses.TimedOut, Assert.Single(progressed, p => p.Image.ItemId == neverAnswered).Image.Status);
        var late = saga.FindImage(answeredLate)!;
        Assert.Equal((ImageStatuses.Completed, $"jobs/{command.JobId}/{answeredLate}.jpg"), (late.Status, late.Location));
        Assert.Equal(ImageStatuses.Completed, Assert.Single(progressed, p => p.Image.ItemId == answeredLate).Image.Status);
        Assert.All(saga.Images.Where(i => i.ItemId is not (answeredLate or neverAnswered)), image => Assert.Equal(1, image.Dispatches));
        Assert.Empty(await jobs.Faults());
    }
}
