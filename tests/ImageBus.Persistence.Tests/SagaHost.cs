using ImageBus.Orchestrator.Tenants;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Persistence;
using ImageBus.Messaging.Sagas;
using ImageBus.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using JobStateMachine = ImageBus.Orchestrator.Jobs.JobStateMachine;
using JobStateDefinition = ImageBus.Orchestrator.Jobs.JobStateDefinition;

namespace ImageBus.Persistence.Tests;

/// <summary>The orchestrator's two sagas with their real endpoint settings and the PostgreSQL
/// repository, on MassTransit's in-memory test transport and a database of their own.</summary>
sealed class SagaHost : IAsyncDisposable
{
    readonly ServiceProvider provider;

    SagaHost(ServiceProvider provider, TestDatabase database)
    {
        this.provider = provider;
        Database = database;
        Harness = provider.GetRequiredService<ITestHarness>();
        Contexts = provider.GetRequiredService<IDbContextFactory<JobsDbContext>>();
    }

    public TestDatabase Database { get; }
    public ITestHarness Harness { get; }
    public IDbContextFactory<JobsDbContext> Contexts { get; }

    public static async Task<SagaHost> StartAsync(SagaConcurrency concurrency, JobOptions? options = null)
    {
        var database = await TestDatabase.CreateAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Options.Create(options ?? new JobOptions()));
        services.AddSingleton(TimeProvider.System);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{PersistenceExtensions.ConnectionStringName}"] = database.ConnectionString,
        }).Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGeminiModelOptions(configuration);
        services.AddJobStore();
        services.AddOwnedDbContext<TenantSlotsDbContext>(OwnedSchema.Of<TenantSlotsDbContext>());
        services.AddMassTransitTestHarness(x =>
        {
            x.AddDelayedMessageScheduler();
            x.AddSagaStateMachine<JobStateMachine, JobState>(typeof(JobStateDefinition))
                .PostgresRepository<JobState, JobsDbContext>(concurrency);
            x.AddSagaStateMachine<TenantSlotStateMachine, TenantSlots>(typeof(TenantSlotsDefinition))
                .PostgresRepository<TenantSlots, TenantSlotsDbContext>();
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        var provider = services.BuildServiceProvider(true);
        var host = new SagaHost(provider, database);
        await database.ApplyAsync(OwnedSchema.Of<JobsDbContext>(), OwnedSchema.Of<TenantSlotsDbContext>());
        host.Harness.TestTimeout = TimeSpan.FromSeconds(60);
        await host.Harness.Start();
        return host;
    }

    /// <summary>Polls the stored job until it is in the given state.</summary>
    public async Task<JobState> WaitForStateAsync(Guid jobId, string state, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        JobState? job = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            await using var db = await Contexts.CreateDbContextAsync();
            job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.CorrelationId == jobId);
            if (job?.CurrentState == state)
            {
                return job;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"job {jobId} is {job?.CurrentState ?? "missing"}, not {state}, after {timeout}");
    }

    /// <summary>Waits until the job is in the given state or nothing has moved on the bus for a few
    /// seconds (messages out of retries end there), then returns the job as stored.</summary>
    public async Task<JobState> WaitUntilSettledAsync(Guid jobId, string state, TimeSpan timeout)
    {
        try
        {
            return await WaitForStateAsync(jobId, state, TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            using var cancellation = new CancellationTokenSource(timeout);
            await Harness.InactivityTask.WaitAsync(cancellation.Token);
            await using var db = await Contexts.CreateDbContextAsync();
            return await db.Jobs.AsNoTracking().SingleAsync(j => j.CorrelationId == jobId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await provider.DisposeAsync();
        await Database.DisposeAsync();
    }
}
