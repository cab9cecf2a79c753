using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

public sealed class RejectionTests
{
    /// <summary>The orchestrator's item limit in these specs, low enough to exceed with a few items.</summary>
    const int MaxItems = 3;

    [Theory]
    [InlineData("no items", "items: must list at least one image")]
    [InlineData("duplicate item ids", "items[1].itemId: 'evidence-01' is used by an earlier item")]
    [InlineData("custom item without prompt", "items[0].prompt: is required")]
    [InlineData("unknown kind", "items[0].kind: 'portrait' is not one of")]
    [InlineData("unknown aspect ratio", "items[0].aspectRatio: '7:5' is not one of")]
    [InlineData("more items than allowed", "items: must list at most 3 images, not 4")]
    [InlineData("several problems", "items[1].itemId: 'evidence-01' is used", "items[1].kind: 'portrait' is not one of", "items[2].prompt: is required")]
    public async Task An_invalid_case_is_rejected_with_every_error_and_no_work(string problem, params string[] errors)
    {
        await using var jobs = await JobHarness.Start(options => options.MaxItems = MaxItems);
        var command = Cases.Valid(Guid.NewGuid()) with { Items = InvalidItems(problem) };

        await jobs.Publish(command);

        await jobs.InState(command.JobId, machine => machine.Rejected);
        var rejected = Assert.Single(await jobs.Published<CaseImagesRejected>());
        Assert.Equal((command.JobId, Cases.TenantId, Cases.CaseId, JobHarness.Now), (rejected.JobId, rejected.TenantId, rejected.CaseId, rejected.Timestamp));
        Assert.Equal(errors.Length, rejected.Errors.Count);
        Assert.All(errors.Zip(rejected.Errors), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
        Assert.Empty(await jobs.Commands());
        Assert.Empty(await jobs.JobEvents(command.JobId));
    }

    /// <summary>A case published straight to the broker without a job id: the saga takes the message id
    /// as the job's id, only so that it can reject the case under it.</summary>
    [Fact]
    public async Task A_case_without_a_job_id_is_rejected_under_its_message_id()
    {
        await using var jobs = await JobHarness.Start();
        var messageId = Guid.NewGuid();

        await jobs.Publish(Cases.Valid(Guid.Empty), messageId);

        var rejected = Assert.Single(await jobs.Published<CaseImagesRejected>());
        Assert.Equal((messageId, Cases.TenantId, Cases.CaseId), (rejected.JobId, rejected.TenantId, rejected.CaseId));
        Assert.Equal(["jobId: must be a non-empty id"], rejected.Errors);
        await jobs.InState(messageId, machine => machine.Rejected);
        Assert.Empty(await jobs.Commands());
        Assert.Empty(await jobs.JobEvents(messageId));
        Assert.Empty(await jobs.Faults());
    }

    static IReadOnlyList<CaseImageItem> InvalidItems(string problem) => problem switch
    {
        "no items" => [],
        "duplicate item ids" => [Cases.Evidence(1), Cases.Evidence(1) with { Name = "Another clue" }],
        "custom item without prompt" => [new("custom-01", ImageKinds.Custom, "Floor plan", Prompt: "")],
        "unknown kind" => [Cases.Evidence(1) with { Kind = "portrait" }],
        "unknown aspect ratio" => [Cases.Evidence(1, "7:5")],
        "more items than allowed" => [.. Enumerable.Range(1, MaxItems + 1).Select(n => Cases.Evidence(n))],
        "several problems" => [Cases.Evidence(1), Cases.Evidence(1) with { Kind = "portrait" }, new("custom-01", ImageKinds.Custom, "Floor plan")],
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, "no such invalid case"),
    };
}
