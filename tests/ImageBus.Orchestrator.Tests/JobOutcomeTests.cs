using ImageBus.Contracts;
using ImageBus.Messaging;
using MassTransit;

namespace ImageBus.Orchestrator.Tests;

public sealed class JobOutcomeTests
{
    [Fact]
    public async Task All_images_generated_completes_the_job_with_gapless_event_sequences()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();

        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures));

        await jobs.InState(command.JobId, machine => machine.Completed);
        var completed = Assert.Single(await jobs.Published<JobCompleted>());
        Assert.Equal(JobStatuses.Completed, completed.Job.Status);
        Assert.Equal(new JobCounts(14, 14, 0, 0, 0), completed.Job.Counts);
        Assert.Equal(command.Items.Select(i => i.ItemId), completed.Images.Select(i => i.ItemId));
        Assert.All(completed.Images, image =>
        {
            Assert.Equal(ImageStatuses.Completed, image.Status);
            Assert.Equal($"jobs/{command.JobId}/{image.ItemId}.jpg", image.Location);
        });

        var events = await jobs.JobEvents(command.JobId);
        Assert.Equal(Enumerable.Range(1, 17).Select(n => (long)n), events.Select(e => e.Job.Sequence));
        Assert.IsType<JobAccepted>(events[0]);
        Assert.IsType<JobStarted>(events[1]);
        Assert.IsType<JobCompleted>(events[^1]);
        var progressed = events.OfType<JobProgressed>().ToList();
        Assert.Equal(command.Items.Select(i => i.ItemId).Order(), progressed.Select(p => p.Image.ItemId).Order());
        // Sequence numbers follow the order results were applied: each progress event counts its own image.
        Assert.All(progressed, p => Assert.Equal(p.Job.Sequence - 2, p.Job.Counts.Completed));
    }

    [Fact]
    public async Task Some_images_failed_ends_the_job_partial_with_exactly_those_failures()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();
        var failures = new Dictionary<string, string> { ["evidence-02"] = "IMAGE_SAFETY", ["location-04"] = "RESOURCE_EXHAUSTED" };

        await jobs.PublishAll(Cases.Results(command, failures));

        await jobs.InState(command.JobId, machine => machine.Partial);
        var partial = Assert.Single(await jobs.Published<JobPartiallyCompleted>());
        Assert.Equal(JobStatuses.Partial, partial.Job.Status);
        Assert.Equal(new JobCounts(14, 12, 2, 0, 0), partial.Job.Counts);
        Assert.Equal(
            failures.OrderBy(f => f.Key),
            partial.Images.Where(i => i.Status == ImageStatuses.Failed).Select(i => KeyValuePair.Create(i.ItemId, i.ErrorCode!)).OrderBy(f => f.Key));
        Assert.Empty(await jobs.Published<JobCompleted>());
        Assert.Empty(await jobs.Published<JobFailed>());
    }

    [Fact]
    public async Task Every_image_failed_fails_the_job_with_a_reason()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob();

        await jobs.PublishAll(Cases.Results(command, command.Items.ToDictionary(i => i.ItemId, _ => "IMAGE_SAFETY")));

        await jobs.InState(command.JobId, machine => machine.Failed);
        var failed = Assert.Single(await jobs.Published<JobFailed>());
        Assert.Equal(JobStatuses.Failed, failed.Job.Status);
        Assert.Equal(new JobCounts(14, 0, 14, 0, 0), failed.Job.Counts);
        Assert.False(string.IsNullOrWhiteSpace(failed.Reason));
        Assert.All(failed.Images, image => Assert.Equal("IMAGE_SAFETY", image.ErrorCode));
        Assert.Empty(await jobs.Published<JobPartiallyCompleted>());
    }

    [Fact]
    public async Task A_worker_fault_fails_that_image_with_WORKER_FAULT_and_a_short_reason_without_the_exception_text()
    {
        await using var jobs = await JobHarness.Start(configure: bus =>
            bus.AddConsumer<FakeWorker>().Endpoint(e => e.Name = QueueNames.GenerateImage));
        var command = Cases.Valid(Guid.NewGuid());

        await jobs.Publish(command);

        await jobs.InState(command.JobId, machine => machine.Partial);
        var fault = Assert.Single(await jobs.Published<Fault<GenerateImage>>());
        Assert.Equal(FakeWorker.BrokenItemId, fault.Message.Item.ItemId);
        var partial = Assert.Single(await jobs.Published<JobPartiallyCompleted>());
        Assert.Equal(new JobCounts(14, 13, 1, 0, 0), partial.Job.Counts);
        var failed = Assert.Single(partial.Images, i => i.Status == ImageStatuses.Failed);
        Assert.Equal((FakeWorker.BrokenItemId, "WORKER_FAULT", "the worker could not store the image"), (failed.ItemId, failed.ErrorCode, failed.Error));
        Assert.DoesNotContain("/var/lib", failed.Error);
    }
}
