using System.Collections.Concurrent;
using System.Diagnostics;
using ImageBus.Messaging.Outbox;
using ImageBus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ImageBus.Scheduling.Tests;

/// <summary>The transactional outbox on the real RabbitMQ and PostgreSQL: what committed transactions published is sent at
/// once, and the rows of many transactions of a moment are deleted together (<see cref="SentOutboxRows"/>).</summary>
public sealed class TransactionalOutboxTests
{
    [Fact]
    public async Task Thirty_transactions_committed_together_send_every_message_and_their_rows_go_in_a_few_statements()
    {
        await using var environment = await SchedulerEnvironment.CreateAsync();
        // No dispatcher: every message arriving, and every row going, is the outbox's own doing.
        var host = await environment.StartHostAsync(withDispatcher: false, withOutbox: true);
        var outboxes = host.Services.GetRequiredService<TransactionalOutboxes>();
        var database = host.Services.GetRequiredService<NpgsqlDataSource>();
        using var deletes = new StatementCounter("DELETE FROM scheduled_messages");

        var probes = Enumerable.Range(0, 30).Select(_ => new ScheduledProbe(Guid.NewGuid(), DateTimeOffset.UtcNow)).ToList();
        var committed = await Task.WhenAll(probes.Select(async probe =>
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var outbox = outboxes.Begin(transaction);
            await outbox.Publisher.Publish(probe);
            await outbox.FlushAsync(CancellationToken.None);
            await transaction.CommitAsync();
            return outbox;
        }));
        await Task.WhenAll(committed.Select(outbox => outbox.DispatchAsync(CancellationToken.None)));

        await environment.Deliveries.WaitForDistinctAsync(probes.Count, TimeSpan.FromSeconds(20));
        Assert.True(await Poll.UntilAsync(async () => await environment.CountRowsAsync() == 0, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)),
            "outbox rows left after 10 s");
        Assert.InRange(deletes.Count, 1, 5);

        // Once the host has stopped, a transaction's rows are deleted by the call itself.
        var late = new ScheduledProbe(Guid.NewGuid(), DateTimeOffset.UtcNow);
        await host.Services.GetRequiredService<SentOutboxRows>().StopAsync(CancellationToken.None);
        await using (var connection = await database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var outbox = outboxes.Begin(transaction);
            await outbox.Publisher.Publish(late);
            await outbox.FlushAsync(CancellationToken.None);
            await transaction.CommitAsync();
            await outbox.DispatchAsync(CancellationToken.None);
        }

        Assert.Equal(0, await environment.CountRowsAsync());
        await environment.Deliveries.WaitForDistinctAsync(probes.Count + 1, TimeSpan.FromSeconds(20));
    }

    /// <summary>Counts the commands starting with a text that Npgsql runs in this process (its ActivitySource).</summary>
    sealed class StatementCounter : IDisposable
    {
        readonly ActivityListener listener;
        readonly ConcurrentBag<string> seen = [];

        public StatementCounter(string prefix)
        {
            listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement");
                    if (text is string statement && statement.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        seen.Add(statement);
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
        }

        public int Count => seen.Count;

        public void Dispose() => listener.Dispose();
    }
}
