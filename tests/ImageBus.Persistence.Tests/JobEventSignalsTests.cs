using ImageBus.Gateway.Streaming;
using ImageBus.Testing;
using ImageBus.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace ImageBus.Persistence.Tests;

/// <summary>Event streams woken by PostgreSQL's LISTEN/NOTIFY on the real database: a recorded event wakes the streams of
/// its job (a wake-up completes only on an announcement, never by a timer), not those of another job, and only once the
/// notifier's transaction commits.</summary>
public sealed class JobEventSignalsTests : IAsyncLifetime
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    TestDatabase database = null!;
    NpgsqlDataSource data = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        await database.ApplyAsync(OwnedSchema.Of<WebhooksDbContext>());
        data = NpgsqlDataSource.Create(database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await data.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task A_recorded_event_wakes_the_streams_of_its_job_only_once_committed()
    {
        using var signals = new JobEventSignals(data, NullLogger<JobEventSignals>.Instance);
        await signals.StartAsync(CancellationToken.None);
        while (!signals.IsListening)
        {
            await Task.Delay(50);
        }

        var job = Guid.NewGuid();
        var other = Guid.NewGuid();
        using var first = signals.WatchJob(job);
        using var second = signals.WatchJob(job);
        using var otherJob = signals.WatchJob(other);
        var firstWake = first.NextAsync();
        var secondWake = second.NextAsync();
        var otherWake = otherJob.NextAsync();

        await using (var connection = await data.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await RecordAsync(connection, job, 1);
            // Not before the commit: a stream woken now would read nothing and go back to sleep.
            await Task.Delay(500);
            Assert.False(firstWake.IsCompleted, "woken before the event was committed");
            await transaction.CommitAsync();
        }

        await Task.WhenAll(firstWake, secondWake).WaitAsync(Patience);
        Assert.False(otherWake.IsCompleted, "another job's stream was woken");

        // The next wake-up is a new one: the event after it wakes it again.
        var nextWake = first.NextAsync();
        Assert.False(nextWake.IsCompleted);
        await using (var connection = await data.OpenConnectionAsync())
        {
            await RecordAsync(connection, job, 2);
        }

        await nextWake.WaitAsync(Patience);
        await signals.StopAsync(CancellationToken.None);
    }

    static async Task RecordAsync(NpgsqlConnection connection, Guid job, long sequence)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO job_events (job_id, sequence, tenant_id, type, payload, recorded_at) VALUES (@job, @sequence, 't', 'image.completed', '{}', now())",
            connection);
        insert.Parameters.AddWithValue("job", job);
        insert.Parameters.AddWithValue("sequence", sequence);
        await insert.ExecuteNonQueryAsync();
    }
}
