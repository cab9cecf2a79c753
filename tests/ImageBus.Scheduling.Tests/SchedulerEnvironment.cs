using ImageBus.Messaging;
using ImageBus.Persistence;
using ImageBus.Messaging.Outbox;
using ImageBus.Messaging.Scheduling;
using ImageBus.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImageBus.Scheduling.Tests;

/// <summary>A database and virtual host of one test, and scheduler hosts started on them: each an
/// ImageBus service's wiring (database, bus, scheduler, dispatcher) with the test's consumers.</summary>
public sealed class SchedulerEnvironment : IAsyncDisposable
{
    readonly List<IHost> hosts = [];

    SchedulerEnvironment(TestDatabase database, TestVirtualHost virtualHost)
    {
        Database = database;
        VirtualHost = virtualHost;
    }

    public TestDatabase Database { get; }
    public TestVirtualHost VirtualHost { get; }
    public DeliveryLog Deliveries { get; } = new();
    public DeadlineObservations Deadlines { get; } = new();

    public static async Task<SchedulerEnvironment> CreateAsync() =>
        new(await TestDatabase.CreateAsync(), await TestVirtualHost.CreateAsync());

    /// <summary>Starts a host; with <paramref name="withDispatcher"/> it also sends due messages, with <paramref name="withOutbox"/>
    /// it has the transactional outbox.</summary>
    public async Task<IHost> StartHostAsync(bool withDispatcher = true, bool withOutbox = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{PersistenceExtensions.ConnectionStringName}"] = Database.ConnectionString,
            [$"{RabbitMqOptions.Section}:Port"] = TestServers.AmqpPort.ToString(),
            [$"{RabbitMqOptions.Section}:VirtualHost"] = VirtualHost.Name,
        });
        builder.Services.AddSingleton(Deliveries);
        builder.Services.AddSingleton(Deadlines);
        builder.Services.AddImageBusMessaging(bus =>
        {
            bus.AddConsumer<ScheduledProbeConsumer, ScheduledProbeConsumerDefinition>();
            bus.AddSagaStateMachine<DeadlineStateMachine, DeadlineState>().InMemoryRepository();
            bus.AddPostgresMessageScheduler();
        });
        // StartAsync returns once the bus and its endpoints are up, so nothing scheduled next is missed.
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        if (withDispatcher)
        {
            builder.Services.AddScheduledMessageDispatcher();
        }

        if (withOutbox)
        {
            builder.Services.AddTransactionalOutbox();
        }

        var host = builder.Build();
        hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    public async Task StopHostAsync(IHost host)
    {
        hosts.Remove(host);
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>Rows still in <c>scheduled_messages</c>, whatever their due time.</summary>
    public async Task<long> CountRowsAsync(Guid? tokenId = null)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM scheduled_messages WHERE @token_id::uuid IS NULL OR token_id = @token_id", connection);
        command.Parameters.AddWithValue("token_id", (object?)tokenId ?? DBNull.Value);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
