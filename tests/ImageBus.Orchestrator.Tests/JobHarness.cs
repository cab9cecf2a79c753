using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Orchestrator.Jobs;
using ImageBus.Orchestrator.Tenants;
using ImageBus.Jobs;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using JobStateMachine = ImageBus.Orchestrator.Jobs.JobStateMachine;

namespace ImageBus.Orchestrator.Tests;

/// <summary>
/// The job saga and the tenant-slot saga that admits jobs to generating, with their real endpoint
/// definitions (in-memory outbox, retry policy), on MassTransit's in-memory test harness. Scheduled
/// messages (job deadlines, image checks) go through the in-memory delayed scheduler and really fire.
/// Reads (<see cref="Published{T}"/>, <see cref="Commands"/>, ...) first wait until the bus has been
/// quiet for a moment (<see cref="Settle"/>), so they see everything the inputs caused; a spec that
/// waits for something that happens later (a deadline) waits on it with <see cref="WaitFor{T}(Func{T, bool}?, int)"/>.
/// </summary>
public sealed class JobHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    /// <summary>How long a spec waits for something before it fails; well past every deadline the specs set.</summary>
    static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Makes the harness's message lists return what they hold now instead of waiting for more.</summary>
    static readonly CancellationToken AsTheyAre = new(canceled: true);

    readonly ServiceProvider _provider;
    readonly ISagaStateMachineTestHarness<TenantSlotStateMachine, TenantSlots> _tenants;

    /// <summary>How many messages had been seen when the bus was last found quiet.</summary>
    int _settledActivity = -1;

    JobHarness(ServiceProvider provider)
    {
        _provider = provider;
        Clock = provider.GetRequiredService<FakeTimeProvider>();
        Bus = provider.GetRequiredService<ITestHarness>();
        Saga = Bus.GetSagaStateMachineHarness<JobStateMachine, JobState>();
        _tenants = Bus.GetSagaStateMachineHarness<TenantSlotStateMachine, TenantSlots>();
    }

    public ITestHarness Bus { get; }

    public ISagaStateMachineTestHarness<JobStateMachine, JobState> Saga { get; }

    /// <summary>The orchestrator's clock; it reads <see cref="Now"/> until a spec advances it.</summary>
    public FakeTimeProvider Clock { get; }

    /// <param name="options">Changes to the orchestrator's <see cref="JobOptions"/> (defaults otherwise).</param>
    /// <param name="configure">More registrations on the same bus, e.g. a fake worker.</param>
    /// <param name="settings">Configuration the orchestrator reads besides, e.g. <c>Gemini:AllowedModels:0</c>.</param>
    public static async Task<JobHarness> Start(
        Action<JobOptions>? options = null, Action<IBusRegistrationConfigurator>? configure = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddGeminiModelOptions(new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddSingleton(new FakeTimeProvider(Now));
        services.AddSingleton<TimeProvider>(provider => provider.GetRequiredService<FakeTimeProvider>());
        services.AddOptions<JobOptions>().Configure(o => options?.Invoke(o));
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

    /// <summary>Submits a case and waits until its tenant's slots took its request for a slot, so that
    /// cases submitted one after another queue for slots in that order.</summary>
    public async Task Submit(GenerateCaseImages command)
    {
        await Publish(command);
        await Poll(() => ConsumedNow<RequestJobSlot>().Where(r => r.JobId == command.JobId), 1,
            $"the slot request of job {command.JobId}");
    }

    /// <summary>Submits a case (by default a valid 14-item one of <see cref="Cases.TenantId"/>) and
    /// waits until its images were dispatched.</summary>
    public async Task<GenerateCaseImages> StartJob(GenerateCaseImages? command = null)
    {
        command ??= Cases.Valid(Guid.NewGuid());
        await Submit(command);
        await WaitFor<JobStarted>(command.JobId);
        await InState(command.JobId, machine => machine.Generating);
        return command;
    }

    /// <summary>Starts a job, answers every image (failing those in <paramref name="failures"/>) and
    /// waits until the job ended.</summary>
    public async Task<GenerateCaseImages> RunJob(IReadOnlyDictionary<string, string> failures)
    {
        var command = await StartJob();
        await PublishAll(Cases.Results(command, failures));
        await WaitFor<IJobEvent>(e => e.Job.JobId == command.JobId && e is JobCompleted or JobPartiallyCompleted or JobFailed);
        return command;
    }

    public Task Publish(object message) => Bus.Bus.Publish(message);

    /// <summary>Publishes with a given message id (which the job saga falls back on for a case without a job id).</summary>
    public Task Publish(object message, Guid messageId) => Bus.Bus.Publish(message, context => context.MessageId = messageId);

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

    /// <summary>The tenant's slots once the bus is quiet: which jobs generate and which wait.</summary>
    public async Task<TenantSlots> Slots(string tenantId)
    {
        await Settle();
        var slots = _tenants.Sagas.Contains(TenantSlots.ForTenant(tenantId));
        Assert.NotNull(slots);
        return slots;
    }

    /// <summary>Waits until <paramref name="count"/> messages <typeparamref name="T"/> matching
    /// <paramref name="filter"/> were published (by the specs or the orchestrator) and returns them.</summary>
    public Task<IReadOnlyList<T>> WaitFor<T>(Func<T, bool>? filter = null, int count = 1)
        where T : class =>
        Poll(() => PublishedNow<T>().Where(filter ?? (_ => true)), count, typeof(T).Name);

    /// <summary>Waits until the job published its <paramref name="count"/>th <typeparamref name="T"/>.</summary>
    public Task<IReadOnlyList<T>> WaitFor<T>(Guid jobId, int count = 1)
        where T : class, IJobEvent =>
        WaitFor<T>(e => e.Job.JobId == jobId, count);

    /// <summary>Waits until <paramref name="count"/> <see cref="GenerateImage"/> matching <paramref name="filter"/> were sent.</summary>
    public Task<IReadOnlyList<GenerateImage>> WaitForCommands(Func<GenerateImage, bool> filter, int count) =>
        Poll(() => SentNow<GenerateImage>().Where(filter), count, nameof(GenerateImage));

    public async Task<IReadOnlyList<T>> Published<T>()
        where T : class
    {
        await Settle();
        return [.. PublishedNow<T>()];
    }

    /// <summary>Every event of the job, ordered by sequence number.</summary>
    public async Task<IReadOnlyList<IJobEvent>> JobEvents(Guid jobId)
    {
        await Settle();
        return [.. PublishedNow<IJobEvent>().Where(e => e.Job.JobId == jobId).OrderBy(e => e.Job.Sequence)];
    }

    /// <summary>Every message published, by the specs or by the orchestrator.</summary>
    public Task<IReadOnlyList<object>> AllPublished() => Published<object>();

    /// <summary>Every fault published; a message the saga ignores or discards must not fault.</summary>
    public Task<IReadOnlyList<Fault>> Faults() => Published<Fault>();

    public async Task<IReadOnlyList<GenerateImage>> Commands()
    {
        await Settle();
        return [.. SentNow<GenerateImage>()];
    }

    /// <summary>How many <typeparamref name="T"/> matching <paramref name="filter"/> were consumed. Only the saga
    /// consumes cases and results, so this shows a message reached it, even one it discarded.</summary>
    public async Task<int> Consumed<T>(Func<T, bool> filter)
        where T : class
    {
        await Settle();
        return ConsumedNow<T>().Count(filter);
    }

    /// <summary>How many sagas were created for the job.</summary>
    public async Task<int> Created(Guid jobId)
    {
        await Settle();
        return Saga.Created.Select(s => s.CorrelationId == jobId, AsTheyAre).Count();
    }

    /// <summary>
    /// Waits until the bus is quiet: the first time, by the harness's own inactivity signal (which
    /// fires once); after that, until no message was published, sent or consumed for the harness's
    /// inactivity timeout. Returns at once when nothing happened since the bus was last found quiet.
    /// </summary>
    public async Task Settle()
    {
        if (!Bus.InactivityTask.IsCompleted)
        {
            await Bus.InactivityTask;
            _settledActivity = Activity();
            return;
        }

        var seen = Activity();
        var quietSince = DateTime.UtcNow;
        while (seen != _settledActivity && DateTime.UtcNow - quietSince < Bus.TestInactivityTimeout)
        {
            await Task.Delay(PollInterval);
            var now = Activity();
            if (now != seen)
            {
                seen = now;
                quietSince = DateTime.UtcNow;
            }
        }

        _settledActivity = seen;
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();

    int Activity() => All(Bus.Published).Count() + All(Bus.Sent).Count() + All(Bus.Consumed).Count();

    IEnumerable<T> PublishedNow<T>() => All(Bus.Published).Select(m => m.MessageObject).OfType<T>();

    IEnumerable<T> SentNow<T>() => All(Bus.Sent).Select(m => m.MessageObject).OfType<T>();

    IEnumerable<T> ConsumedNow<T>() => All(Bus.Consumed).Select(m => m.MessageObject).OfType<T>();

    static IEnumerable<TElement> All<TElement>(IAsyncElementList<TElement> messages)
        where TElement : class, IAsyncListElement =>
        messages.Select(_ => true, AsTheyAre);

    static async Task<IReadOnlyList<T>> Poll<T>(Func<IEnumerable<T>> read, int count, string what)
    {
        var giveUpAt = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var found = read().ToList();
            if (found.Count >= count)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < giveUpAt, $"waited {WaitLimit.TotalSeconds} s for {count} {what}, saw {found.Count}");
            await Task.Delay(PollInterval);
        }
    }
}
