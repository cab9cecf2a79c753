using ImageBus.Contracts;
using ImageBus.Orchestrator.Tenants;

namespace ImageBus.Orchestrator.Tests;

public sealed class TenantLimitTests
{
    const string OtherTenant = "tenant-b";

    [Fact]
    public async Task Jobs_over_the_tenant_limit_wait_in_arrival_order_and_other_tenants_start_at_once()
    {
        await using var jobs = await JobHarness.Start(options => options.MaxGeneratingPerTenant = 2);
        var cases = Enumerable.Range(0, 4).Select(_ => Cases.Valid(Guid.NewGuid())).ToList();
        var (first, second, third, fourth) = (cases[0].JobId, cases[1].JobId, cases[2].JobId, cases[3].JobId);

        foreach (var command in cases)
        {
            await jobs.Submit(command);
        }

        await jobs.InState(first, machine => machine.Generating);
        await jobs.InState(second, machine => machine.Generating);
        await jobs.InState(third, machine => machine.Pending);
        await jobs.InState(fourth, machine => machine.Pending);
        Assert.Equal(new Dictionary<Guid, int> { [first] = 14, [second] = 14 }, PerJob(await jobs.Commands()));
        Assert.Equal([first, second], (await jobs.Published<JobStarted>()).Select(s => s.Job.JobId));
        var slots = await jobs.Slots(Cases.TenantId);
        Assert.Equal([first, second], slots.Generating);
        Assert.Equal([third, fourth], slots.Waiting);

        await jobs.PublishAll(Cases.Results(cases[0], Cases.NoFailures));

        await jobs.WaitFor<JobStarted>(third);
        await jobs.InState(first, machine => machine.Completed);
        await jobs.InState(second, machine => machine.Generating);
        await jobs.InState(third, machine => machine.Generating);
        await jobs.InState(fourth, machine => machine.Pending);
        Assert.Equal(new Dictionary<Guid, int> { [first] = 14, [second] = 14, [third] = 14 }, PerJob(await jobs.Commands()));
        slots = await jobs.Slots(Cases.TenantId);
        Assert.Equal([second, third], slots.Generating);
        Assert.Equal([fourth], slots.Waiting);

        var other = await jobs.StartJob(Cases.Valid(Guid.NewGuid()) with { TenantId = OtherTenant });

        Assert.Equal(14, (await jobs.Commands()).Count(c => c.JobId == other.JobId && c.TenantId == OtherTenant));
        await jobs.InState(fourth, machine => machine.Pending);
        Assert.Equal([other.JobId], (await jobs.Slots(OtherTenant)).Generating);
        Assert.Empty(await jobs.Faults());
    }

    /// <summary>The tenant's slots grant again when a job's request comes twice (the grant may have been
    /// lost); a job that already generates must keep its slot, or the tenant's next job starts beside it.</summary>
    [Fact]
    public async Task A_repeated_slot_request_of_a_generating_job_keeps_the_tenant_limit()
    {
        await using var jobs = await JobHarness.Start(options => options.MaxGeneratingPerTenant = 1);
        var generating = await jobs.StartJob();
        var waiting = Cases.Valid(Guid.NewGuid());
        await jobs.Submit(waiting);
        var request = Assert.Single(await jobs.Published<RequestJobSlot>(), r => r.JobId == generating.JobId);

        await jobs.Publish(request);

        Assert.Equal(2, await jobs.Consumed<RequestJobSlot>(r => r.JobId == generating.JobId));
        await jobs.InState(generating.JobId, machine => machine.Generating);
        await jobs.InState(waiting.JobId, machine => machine.Pending);
        var slots = await jobs.Slots(Cases.TenantId);
        Assert.Equal([generating.JobId], slots.Generating);
        Assert.Equal([waiting.JobId], slots.Waiting);
        Assert.DoesNotContain(await jobs.Commands(), c => c.JobId == waiting.JobId);
    }

    /// <summary>How many images were sent to the workers for each job.</summary>
    static Dictionary<Guid, int> PerJob(IEnumerable<GenerateImage> sent) => sent.CountBy(c => c.JobId).ToDictionary();
}
