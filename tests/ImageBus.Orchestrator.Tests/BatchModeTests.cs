using ImageBus.Contracts;
using ImageBus.Orchestrator.Tenants;
using MassTransit.Testing;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The job saga and batch mode: a batch job's images go to <c>batch-image</c> (a staged one live), it takes no
/// tenant slot, its image checks leave batched images alone, and an image its batch abandoned goes live while the job's
/// deadline leaves an image deadline for it.</summary>
public sealed class BatchModeTests
{
    static readonly TimeSpan ImageDeadline = TimeSpan.FromSeconds(1);

    static GenerateCaseImages BatchCase(string mode = GenerationModes.Batch, int? deadlineSeconds = null) =>
        Cases.Valid(Guid.NewGuid()) with
        {
            Mode = mode,
            DeadlineSeconds = deadlineSeconds,
            Items = [.. Cases.Items(2, 1), new CaseImageItem("harbour", ImageKinds.Staged, "Harbour", Prompt: "the harbour at night",
                SourceImageUrl: "https://images.example.test/harbour.png")],
        };

    static async Task<GenerateCaseImages> StartBatchJob(JobHarness jobs, GenerateCaseImages command)
    {
        await jobs.Publish(command);
        await jobs.WaitFor<JobStarted>(command.JobId);
        return command;
    }

    /// <summary>Where each image command of the job went: the queue name at the end of its destination.</summary>
    static IReadOnlyList<(string ItemId, string Queue)> Routes(JobHarness jobs, Guid jobId) =>
        [.. jobs.Bus.Sent.Select<GenerateImage>(CancellationToken.None)
            .Where(s => s.Context.Message.JobId == jobId)
            .Select(s => (s.Context.Message.Item.ItemId, s.Context.DestinationAddress!.AbsolutePath.Split('/').Last()))];

    [Fact]
    public async Task A_batch_job_sends_its_images_to_the_batch_queue_and_its_staged_one_live_without_taking_a_slot()
    {
        await using var jobs = await JobHarness.Start();
        var command = await StartBatchJob(jobs, BatchCase());

        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(GenerationModes.Batch, saga.Mode);
        Assert.Equal(JobHarness.Now + TimeSpan.FromHours(24), saga.DeadlineAt);
        await jobs.Settle();
        Assert.Equal(
            [("evidence-01", "batch-image"), ("evidence-02", "batch-image"), ("harbour", "generate-image"), ("location-01", "batch-image")],
            Routes(jobs, command.JobId).OrderBy(r => r.ItemId));
        Assert.Equal(GenerationModes.Live, saga.FindImage("harbour")!.Route);
        Assert.All(saga.Images.Where(i => i.ItemId != "harbour"), image => Assert.Equal(GenerationModes.Batch, image.Route));
        Assert.Equal(0, await jobs.Consumed<RequestJobSlot>(r => r.JobId == command.JobId));

        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures));
        await jobs.WaitFor<JobCompleted>(command.JobId);
        Assert.Empty(await jobs.Faults());
    }

    [Theory]
    [InlineData(86_400, GenerationModes.Batch)]
    [InlineData(3_600, GenerationModes.Live)]
    public async Task An_auto_job_is_batched_when_its_deadline_is_at_least_the_batch_turnaround(int deadlineSeconds, string expected)
    {
        await using var jobs = await JobHarness.Start();
        var command = BatchCase(GenerationModes.Auto, deadlineSeconds);
        await jobs.Publish(command);
        await jobs.WaitFor<JobStarted>(command.JobId);

        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(expected, saga.Mode);
        await jobs.Settle();
        var queue = expected == GenerationModes.Batch ? "batch-image" : "generate-image";
        Assert.Equal(queue, Routes(jobs, command.JobId).Single(r => r.ItemId == "evidence-01").Queue);
    }

    [Fact]
    public async Task Image_checks_leave_batched_images_alone()
    {
        await using var jobs = await JobHarness.Start(options => options.ImageDeadline = ImageDeadline);
        var command = await StartBatchJob(jobs, BatchCase());
        await jobs.Publish(Cases.Generated(command.JobId, "harbour"));
        await jobs.WaitFor<JobProgressed>(command.JobId);

        jobs.Clock.Advance(ImageDeadline * 5);
        await Task.Delay(ImageDeadline * 2.5);

        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.All(saga.Images.Where(i => i.IsBatched), image => Assert.Equal((ImageStatuses.Queued, 1), (image.Status, image.Dispatches)));
        Assert.Equal(4, Routes(jobs, command.JobId).Count);
    }

    [Fact]
    public async Task An_abandoned_image_goes_live_and_its_answer_completes_the_job()
    {
        await using var jobs = await JobHarness.Start();
        var command = await StartBatchJob(jobs, BatchCase());
        var batchId = Guid.NewGuid();

        await jobs.Publish(new BatchImageAbandoned(command.JobId, "evidence-02", 1, batchId, "expired", JobHarness.Now));
        // A stale report (another attempt) and a repeated one change nothing more.
        await jobs.Publish(new BatchImageAbandoned(command.JobId, "evidence-01", 2, batchId, "expired", JobHarness.Now));
        await jobs.Publish(new BatchImageAbandoned(command.JobId, "evidence-02", 1, batchId, "expired", JobHarness.Now));
        await jobs.Settle();

        Assert.Equal([("evidence-02", "batch-image"), ("evidence-02", "generate-image")], Routes(jobs, command.JobId).Where(r => r.ItemId == "evidence-02"));
        Assert.Single(Routes(jobs, command.JobId), r => r.ItemId == "evidence-01");
        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal((GenerationModes.Live, 2), (saga.FindImage("evidence-02")!.Route, saga.FindImage("evidence-02")!.Dispatches));

        await jobs.PublishAll(Cases.Results(command, Cases.NoFailures));
        await jobs.WaitFor<JobCompleted>(command.JobId);
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task An_image_abandoned_too_close_to_the_deadline_stays_batched_and_times_out_with_the_job()
    {
        await using var jobs = await JobHarness.Start(options => options.ImageDeadline = TimeSpan.FromMinutes(10));
        var command = await StartBatchJob(jobs, BatchCase(deadlineSeconds: 300));

        await jobs.Publish(new BatchImageAbandoned(command.JobId, "evidence-02", 1, Guid.NewGuid(), "expired", JobHarness.Now));
        await jobs.Settle();

        Assert.Single(Routes(jobs, command.JobId), r => r.ItemId == "evidence-02");
        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal((GenerationModes.Batch, 1), (saga.FindImage("evidence-02")!.Route, saga.FindImage("evidence-02")!.Dispatches));
        Assert.Empty(await jobs.Faults());
    }
}
