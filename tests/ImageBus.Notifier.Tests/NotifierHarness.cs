using ImageBus.Contracts;
using ImageBus.Notifier;
using ImageBus.Persistence;
using ImageBus.Webhooks;
using ImageBus.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageBus.Notifier.Tests;

/// <summary>The notifier's webhook consumers on the in-memory test harness (its delayed scheduler stands in
/// for the durable one), with a database of its own on the real PostgreSQL. Retries are short.</summary>
public sealed class NotifierHarness : IAsyncDisposable
{
    public const string Tenant = "tenant-a";

    readonly ServiceProvider provider;
    readonly TestDatabase database;

    NotifierHarness(ServiceProvider provider, TestDatabase database)
    {
        this.provider = provider;
        this.database = database;
        Bus = provider.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Bus { get; }

    /// <param name="settings">Overrides of the <c>Webhooks</c> section, e.g. <c>["Timeout"] = "00:00:01"</c>.</param>
    public static async Task<NotifierHarness> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ImageBus"] = database.ConnectionString,
            ["OutboundAddresses:AllowedHosts:0"] = "127.0.0.1/32",
            ["Webhooks:RetrySchedule:0"] = "00:00:00",
            ["Webhooks:RetrySchedule:1"] = "00:00:00.2",
            ["Webhooks:RetrySchedule:2"] = "00:00:00.5",
            ["Webhooks:RetrySchedule:3"] = "00:00:01",
            ["Webhooks:RetrySchedule:4"] = "00:00:01",
            ["Webhooks:RetrySchedule:5"] = "00:00:01",
            ["Webhooks:RetrySchedule:6"] = "00:00:01",
            ["Webhooks:RetrySchedule:7"] = "00:00:01",
            ["Webhooks:RetrySchedule:8"] = "00:00:01",
            ["Webhooks:RetrySchedule:9"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            configuration[$"Webhooks:{key}"] = value;
        }

        var services = new ServiceCollection();
        var config = new ConfigurationBuilder().AddInMemoryCollection(configuration).Build();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddWebhookDelivery(config);
        services.AddMassTransitTestHarness(bus =>
        {
            bus.AddWebhookConsumers();
            bus.AddDelayedMessageScheduler();
            bus.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });

        var provider = services.BuildServiceProvider(validateScopes: true);
        var harness = new NotifierHarness(provider, database);
        foreach (var schema in provider.GetServices<IHostedService>().OfType<DatabaseSchema>())
        {
            await schema.StartingAsync(CancellationToken.None);
        }

        harness.Bus.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Bus.Start();
        return harness;
    }

    /// <summary>Registers an endpoint of <see cref="Tenant"/> the way the gateway stores one.</summary>
    public async Task<WebhookEndpoint> AddEndpointAsync(string url, string? previousSecret = null)
    {
        var now = DateTimeOffset.UtcNow;
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(), TenantId = Tenant, Url = url, Enabled = true, Secret = WebhookSecrets.Generate(),
            PreviousSecret = previousSecret, PreviousSecretExpiresAt = previousSecret is null ? null : now.AddHours(1),
            CreatedAt = now, UpdatedAt = now,
        };
        await using var db = await Db();
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync();
        return endpoint;
    }

    /// <summary>Publishes the events of a job of <see cref="Tenant"/> whose images all complete, all at once (so the
    /// notifier may well consume them out of order); answers how many there were.</summary>
    public async Task<int> PublishJobAsync(Guid jobId, int images)
    {
        var sequence = 0L;
        JobSnapshot Snapshot(string status, int completed) => new(
            jobId, Tenant, "case-1", status, ++sequence, new JobCounts(images, completed, 0, 0, 0), DateTimeOffset.UtcNow);
        ImageResult Image(int i) => new($"ev-{i}", ImageKinds.Evidence, ImageStatuses.Completed, 1, $"blob/{i}", 64, 64, null, null);

        var events = new List<IJobEvent>
        {
            new JobAccepted(Snapshot(JobStatuses.Accepted, 0), null),
            new JobStarted(Snapshot(JobStatuses.Generating, 0)),
        };
        events.AddRange(Enumerable.Range(1, images).Select(i => new JobProgressed(Snapshot(JobStatuses.Generating, i), Image(i))));
        events.Add(new JobCompleted(Snapshot(JobStatuses.Completed, images), [.. Enumerable.Range(1, images).Select(Image)]));
        foreach (var jobEvent in events)
        {
            await Bus.Bus.Publish(jobEvent, jobEvent.GetType());
        }

        return events.Count;
    }

    public async Task<WebhookEndpoint> EndpointAsync(Guid endpointId)
    {
        await using var db = await Db();
        return await db.WebhookEndpoints.AsNoTracking().SingleAsync(e => e.Id == endpointId);
    }

    public async Task<List<WebhookDelivery>> DeliveriesAsync(Guid endpointId)
    {
        await using var db = await Db();
        return await db.WebhookDeliveries.AsNoTracking().Include(d => d.AttemptLog)
            .Where(d => d.EndpointId == endpointId).OrderBy(d => d.Sequence).ToListAsync();
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }

    Task<WebhooksDbContext> Db() => provider.GetRequiredService<IDbContextFactory<WebhooksDbContext>>().CreateDbContextAsync();

    public async ValueTask DisposeAsync()
    {
        await Bus.Stop();
        await provider.DisposeAsync();
        await database.DisposeAsync();
    }
}
