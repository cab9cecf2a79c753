using ImageBus.Contracts;

namespace ImageBus.Orchestrator.Tests;

public sealed class JobStartTests
{
    /// <summary>Output size per aspect ratio at the default long edge of 1024 pixels, worked out by hand.</summary>
    static readonly Dictionary<string, (int Width, int Height)> Sizes = new()
    {
        ["1:1"] = (1024, 1024),
        ["3:4"] = (768, 1024),
        ["16:9"] = (1024, 576),
        ["4:3"] = (1024, 768),
        ["9:16"] = (576, 1024),
    };

    [Fact]
    public async Task A_valid_case_is_accepted_and_each_item_is_sent_to_the_workers_once()
    {
        await using var jobs = await JobHarness.Start();
        var command = Cases.Valid(Guid.NewGuid());

        await jobs.Publish(command);

        var saga = await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(14, saga.Images.Count);
        var sent = await jobs.Commands();
        Assert.Equal(14, sent.Count);
        foreach (var item in command.Items)
        {
            var generate = Assert.Single(sent, c => c.Item.ItemId == item.ItemId);
            var ratio = item.AspectRatio ?? AspectRatios.Square;
            Assert.Equal(item with { AspectRatio = ratio }, generate.Item);
            Assert.Equal((command.JobId, Cases.TenantId, Cases.CaseId, 1), (generate.JobId, generate.TenantId, generate.CaseId, generate.Attempt));
            Assert.Equal(Sizes[ratio], (generate.Width, generate.Height));
        }

        var accepted = Assert.Single(await jobs.Published<JobAccepted>());
        var total = new JobCounts(14, 0, 0, 0, 0);
        // Nothing billed or delivered yet: every image would be refunded.
        var billing = new JobBilling(0, 0, 14, 0);
        Assert.Equal(new JobSnapshot(command.JobId, Cases.TenantId, Cases.CaseId, JobStatuses.Pending, 1, total, JobHarness.Now, Billing: billing), accepted.Job);
        Assert.Equal(Cases.WebhookUrl, accepted.WebhookUrl);
        var started = Assert.Single(await jobs.Published<JobStarted>());
        Assert.Equal(new JobSnapshot(command.JobId, Cases.TenantId, Cases.CaseId, JobStatuses.Generating, 2, total, JobHarness.Now, Billing: billing), started.Job);
    }

    [Fact]
    public async Task A_repeated_case_for_the_same_job_creates_one_saga_and_sends_each_item_once()
    {
        await using var jobs = await JobHarness.Start();
        var command = Cases.Valid(Guid.NewGuid());

        await jobs.Publish(command);
        await jobs.Publish(command);

        await jobs.InState(command.JobId, machine => machine.Generating);
        Assert.Equal(2, await jobs.Consumed<GenerateCaseImages>(c => c.JobId == command.JobId));
        Assert.Equal(1, await jobs.Created(command.JobId));
        var sent = await jobs.Commands();
        Assert.Equal(command.Items.Select(i => i.ItemId).Order(), sent.Select(c => c.Item.ItemId).Order());
        Assert.Single(await jobs.Published<JobAccepted>());
        Assert.Single(await jobs.Published<JobStarted>());
        Assert.Empty(await jobs.Faults());
    }

    [Fact]
    public async Task On_the_bus_the_job_id_decides_and_an_idempotency_key_is_only_kept()
    {
        // Publishers choose the job id; the key is informational on the bus (the gateway enforces keys). Two ids
        // with one key are two jobs, and neither id is derived from the key.
        await using var jobs = await JobHarness.Start();
        const string key = "order-4711";
        var first = Cases.Valid(Guid.NewGuid()) with { IdempotencyKey = key };
        var second = Cases.Valid(Guid.NewGuid()) with { IdempotencyKey = key };

        await jobs.PublishAll([first, second]);

        var one = await jobs.InState(first.JobId, machine => machine.Generating);
        var other = await jobs.InState(second.JobId, machine => machine.Generating);
        Assert.Equal((key, key), (one.IdempotencyKey, other.IdempotencyKey));
        Assert.Equal((1, 1), (await jobs.Created(first.JobId), await jobs.Created(second.JobId)));
        Assert.Equal(28, (await jobs.Commands()).Count);
    }
}
