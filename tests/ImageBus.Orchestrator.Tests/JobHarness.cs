using ImageBus.Contracts;
using ImageBus.Orchestrator.Jobs;
using ImageBus.Orchestrator.Tenants;
using ImageBus.ServiceDefaults.Jobs;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using JobStateMachine = ImageBus.Orchestrator.Jobs.JobStateMachine;

namespace ImageBus.Orchestrator.Tests;

/// <summary>
/// The job saga and the tenant-slot saga that admits jobs to generating, with their real endpoint
/// definitions (in-memory outbox, retry policy), on MassTransit's in-memory test harness.
/// Reads (<see cref="Published{T}"/>, <see cref="Commands"/>, ...) first wait until the bus has been
/// quiet for a moment, so they see everything the inputs caused; the harness's quiet signal fires
/// once, so a spec that needs to wait between steps waits on something specific.
/// </summary>
public sealed class JobHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    readonly ServiceProvider _provider;

    JobHarness(ServiceProvider provider)
    {
        _provider = provider;
        Bus = provider.GetRequiredService<ITestHarness>();
        Saga = Bus.GetSagaStateMachineHarness<JobStateMachine, JobState>();
    }

    public ITestHarness Bus { get; }

    public ISagaStateMachineTestHarness<JobStateMachine, JobState> Saga { get; }

    /// <param name="maxItems">The orchestrator's <see cref="JobOptions.MaxItems"/>.</param>
    /// <param name="configure">More registrations on the same bus, e.g. a fake worker.</param>
    public static async Task<JobHarness> Start(int maxItems = 64, Action<IBusRegistrationConfigurator>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FixedClock(Now));
        services.AddOptions<JobOptions>().Configure(options => options.MaxItems = maxItems);
        services.AddMassTransitTestHarness(bus =>
        {
            // The job schedules its deadline and image checks; the in-memory delayed scheduler holds them.
            bus.AddDelayedMessageScheduler();
            bus.AddSagaStateMachine<JobStateMachine, JobState>(typeof(JobStateDefinition)).InMemoryRepository();
            bus.AddSagaStateMachine<TenantSlotStateMachine, TenantSlots>(typeof(TenantSlotsDefinition)).InMemoryRepository();
            configure?.Invoke(bus);
            bus.UsingInMemory((context, transport) =>
            {
                transport.UseDelayedMessageScheduler();
                transport.ConfigureEndpoints(context);
            });
        });

        var harness = new JobHarness(services.BuildServiceProvider(validateScopes: true));
        harness.Bus.TestTimeout = TimeSpan.FromSeconds(5);
        harness.Bus.TestInactivityTimeout = TimeSpan.FromMilliseconds(300);
        await harness.Bus.Start();
        return harness;
    }

    /// <summary>Submits a valid 14-item case and waits until its images were dispatched.</summary>
    public async Task<GenerateCaseImages> StartJob()
    {
        var command = Cases.Valid(Guid.NewGuid());
        await Publish(command);
        await InState(command.JobId, machine => machine.Generating);
        return command;
    }

    public Task Publish(object message) => Bus.Bus.Publish(message);

    public async Task PublishAll(IEnumerable<object> messages)
    {
        foreach (var message in messages)
        {
            await Publish(message);
        }
    }

    /// <summary>Waits until the job's saga is in <paramref name="state"/> and returns it.</summary>
    public async Task<JobState> InState(Guid jobId, Func<JobStateMachine, State> state)
    {
        var found = await Saga.Exists(jobId, state, Bus.TestTimeout);
        var saga = Saga.Sagas.Contains(jobId);
        Assert.NotNull(saga);
        Assert.True(found.HasValue, $"job {jobId} should be {state(Saga.StateMachine).Name}, is {saga.CurrentState}");
        return saga;
    }

    /// <summary>Waits until <typeparamref name="T"/> was published, without waiting for the bus to go quiet.</summary>
    public async Task WaitFor<T>()
        where T : class =>
        Assert.True(await Bus.Published.Any<T>(), $"{typeof(T).Name} was not published");

    public async Task<IReadOnlyList<T>> Published<T>()
        where T : class
    {
        await Bus.InactivityTask;
        return [.. Bus.Published.Select<T>().Select(m => m.Context.Message)];
    }

    /// <summary>Every event of the job, ordered by sequence number.</summary>
    public async Task<IReadOnlyList<IJobEvent>> JobEvents(Guid jobId)
    {
        await Bus.InactivityTask;
        return
        [
            .. Bus.Published.Select(m => m.MessageObject is IJobEvent e && e.Job.JobId == jobId)
                .Select(m => (IJobEvent)m.MessageObject)
                .OrderBy(e => e.Job.Sequence),
        ];
    }

    /// <summary>Every message published, by the specs or by the orchestrator.</summary>
    public async Task<IReadOnlyList<object>> AllPublished()
    {
        await Bus.InactivityTask;
        return [.. Bus.Published.Select(_ => true).Select(m => m.MessageObject)];
    }

    /// <summary>Every fault published; a message the saga ignores or discards must not fault.</summary>
    public async Task<IReadOnlyList<Fault>> Faults()
    {
        await Bus.InactivityTask;
        return [.. Bus.Published.Select(m => m.MessageObject is Fault).Select(m => (Fault)m.MessageObject)];
    }

    public async Task<IReadOnlyList<GenerateImage>> Commands()
    {
        await Bus.InactivityTask;
        return [.. Bus.Sent.Select<GenerateImage>().Select(m => m.Context.Message)];
    }

    /// <summary>How many <typeparamref name="T"/> matching <paramref name="filter"/> were consumed. Only the saga
    /// consumes cases and results, so this shows a message reached it, even one it discarded.</summary>
    public async Task<int> Consumed<T>(Func<T, bool> filter)
        where T : class
    {
        await Bus.InactivityTask;
        return Bus.Consumed.Select<T>(m => filter(m.Context.Message)).Count();
    }

    /// <summary>How many sagas were created for the job.</summary>
    public async Task<int> Created(Guid jobId)
    {
        await Bus.InactivityTask;
        return Saga.Created.Select(s => s.CorrelationId == jobId).Count();
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
