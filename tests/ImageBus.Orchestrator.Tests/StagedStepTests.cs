using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The job saga and a staged image's steps: analysing when dispatched, generating once the worker reports the
/// analysis (with one <see cref="JobImageStepCompleted"/> carrying it), and the analysis's billed calls kept for an attempt
/// the saga ends itself.</summary>
public sealed class StagedStepTests
{
    const string ItemId = "harbour";

    static GenerateCaseImages StagedCase() => new(Guid.NewGuid(), Cases.TenantId, Cases.CaseId,
        [new CaseImageItem(ItemId, ImageKinds.Staged, "Harbour", Prompt: "the same harbour at night", SourceImageUrl: "https://images.example.test/harbour.png"),
         Cases.Evidence(1)]);

    static ImageStepCompleted Step(Guid jobId, int attempt = 1, string analysis = "A stone harbour with three boats.") =>
        new(jobId, ItemId, attempt, analysis, "gemini-3.8-flash", 1, 1, JobHarness.Now);

    [Fact]
    public async Task A_staged_image_is_analysing_when_dispatched_and_its_other_images_have_no_step()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());

        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(ImageSteps.Analysing, saga.FindImage(ItemId)!.Step);
        Assert.Null(saga.FindImage("evidence-01")!.Step);
        var sent = (await jobs.Commands()).Single(c => c.Item.ItemId == ItemId);
        Assert.Equal((ImageKinds.Staged, "https://images.example.test/harbour.png"), (sent.Item.Kind, sent.Item.SourceImageUrl));
    }

    [Fact]
    public async Task The_analysis_moves_the_image_to_generating_and_is_published_once()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());

        await jobs.Publish(Step(command.JobId));
        await jobs.Publish(Step(command.JobId, analysis: "a second analysis from a redelivered command"));

        var step = Assert.Single(await jobs.Published<JobImageStepCompleted>());
        Assert.Equal(("A stone harbour with three boats.", ItemId, ImageSteps.Generating, ImageStatuses.Queued),
            (step.Analysis, step.Image.ItemId, step.Image.Step, step.Image.Status));
        Assert.Equal(new JobCounts(2, 0, 0, 0, 0), step.Job.Counts);
        var image = (await jobs.InState(command.JobId, machine => machine.Generating)).FindImage(ItemId)!;
        Assert.Equal((ImageSteps.Generating, "A stone harbour with three boats."), (image.Step, image.Analysis));
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task A_result_applied_before_its_step_reports_the_step_first_and_the_late_step_changes_nothing()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());

        await jobs.Publish(Cases.Generated(command.JobId, ItemId) with { BilledCalls = 2, Analysis = "from the result" });
        await jobs.Publish(Step(command.JobId));

        var events = (await jobs.JobEvents(command.JobId)).Where(e => e is JobImageStepCompleted or JobProgressed).ToList();
        Assert.Equal([typeof(JobImageStepCompleted), typeof(JobProgressed)], events.Select(e => e.GetType()));
        Assert.Equal("from the result", ((JobImageStepCompleted)events[0]).Analysis);
        var image = (await jobs.InState(command.JobId, machine => machine.Generating)).FindImage(ItemId)!;
        Assert.Equal((ImageStatuses.Completed, "from the result", 2), (image.Status, image.Analysis, image.BilledCalls));
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task An_analysis_of_another_attempt_is_ignored()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());

        await jobs.Publish(Step(command.JobId, attempt: 2));

        Assert.Empty(await jobs.Published<JobImageStepCompleted>());
        var image = (await jobs.InState(command.JobId, machine => machine.Generating)).FindImage(ItemId)!;
        Assert.Equal((ImageSteps.Analysing, null), (image.Step, image.Analysis));
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task The_result_ends_the_image_and_keeps_its_last_step_and_analysis()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());

        await jobs.Publish(Step(command.JobId));
        await jobs.Publish(Cases.Generated(command.JobId, ItemId) with { BilledCalls = 2 });
        await jobs.Publish(Cases.Generated(command.JobId, "evidence-01"));

        var completed = Assert.Single(await jobs.WaitFor<JobCompleted>(command.JobId));
        Assert.Equal(new JobBilling(2, 2, 0, 3), completed.Job.Billing);
        var image = (await jobs.InState(command.JobId, machine => machine.Completed)).FindImage(ItemId)!;
        Assert.Equal((ImageStatuses.Completed, ImageSteps.Generating, 2), (image.Status, image.Step, image.BilledCalls));
    }

    [Fact]
    public async Task An_attempt_the_saga_ends_after_the_analysis_counts_the_analysis_as_billed()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());
        await jobs.Publish(Step(command.JobId));
        await jobs.WaitFor<JobImageStepCompleted>(command.JobId);

        await jobs.Publish(new CancelCaseImages(command.JobId));

        var cancelled = Assert.Single(await jobs.WaitFor<JobCancelled>(command.JobId));
        Assert.Equal(new JobBilling(1, 0, 2, 1), cancelled.Job.Billing);
        Assert.True(cancelled.Images.Single(i => i.ItemId == ItemId).Billed);
    }

    [Fact]
    public async Task A_retry_repeats_both_steps()
    {
        await using var jobs = await JobHarness.Start();
        var command = await jobs.StartJob(StagedCase());
        await jobs.Publish(Step(command.JobId));
        await jobs.Publish(Cases.Failed(command.JobId, ItemId, "IMAGE_SAFETY") with { BilledCalls = 2 });
        await jobs.Publish(Cases.Generated(command.JobId, "evidence-01"));
        await jobs.WaitFor<JobPartiallyCompleted>(command.JobId);

        await jobs.Publish(new RetryFailedImages(command.JobId));

        await jobs.WaitForCommands(c => c.Item.ItemId == ItemId && c.Attempt == 2, 1);
        var image = (await jobs.InState(command.JobId, machine => machine.Generating)).FindImage(ItemId)!;
        Assert.Equal((2, ImageSteps.Analysing, null, 2), (image.Attempt, image.Step, image.Analysis, image.BilledCalls));

        await jobs.Publish(Step(command.JobId, attempt: 2, analysis: "the second attempt's analysis"));

        var steps = await jobs.WaitFor<JobImageStepCompleted>(command.JobId, count: 2);
        Assert.Equal("the second attempt's analysis", steps.Single(s => s.Image.Attempt == 2).Analysis);
    }
}
