using ImageBus.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace ImageBus.Operations.DeadLetters;

/// <summary>Moves every message of every <c>_error</c> queue of the virtual host into <c>failed_messages</c>. Each
/// message is read unacknowledged, inserted (once per broker message: a redelivery finds its row and inserts nothing)
/// and acknowledged only after the insert committed, so a collector that dies in between leaves it in the queue for the
/// next pass. Several gateways collect at once as competing readers of the same queues.</summary>
public sealed class DeadLetterCollector(
    BrokerManagement management,
    IOptions<RabbitMqOptions> rabbit,
    IOptions<DeadLetterOptions> options,
    IDbContextFactory<OperationsDbContext> contexts,
    TimeProvider clock,
    ILogger<DeadLetterCollector> logger) : BackgroundService
{
    /// <summary>Kept open between passes; made again after the broker dropped it.</summary>
    IConnection? connection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Collect)
        {
            logger.LogInformation("Dead letters are not collected here (DeadLetters:Collect is off)");
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CollectAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Collecting dead letters failed; trying again in {Interval}", options.Value.CollectInterval);
            }

            await Task.Delay(options.Value.CollectInterval, clock, stoppingToken);
        }
    }

    /// <summary>One pass over every <c>_error</c> queue; returns how many messages it recorded.</summary>
    public async Task<int> CollectAsync(CancellationToken cancellationToken)
    {
        var errorQueues = (await management.ListQueuesAsync(cancellationToken))
            .Where(q => q.Name.EndsWith(BrokerMessage.ErrorQueueSuffix, StringComparison.Ordinal))
            .Select(q => q.Name)
            .ToList();
        if (errorQueues.Count == 0)
        {
            return 0;
        }

        if (connection is not { IsOpen: true })
        {
            connection?.Dispose();
            connection = await rabbit.Value.ConnectAsync("imagebus-dead-letters", cancellationToken);
        }

        // Closing the channel, however the pass ends, returns a message read but not acknowledged to its queue.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var collected = 0;
        foreach (var queue in errorQueues)
        {
            for (var read = 0; read < options.Value.BatchSize; read++)
            {
                var delivery = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken);
                if (delivery is null)
                {
                    break;
                }

                var message = BrokerMessage.Read(queue, delivery.BasicProperties, delivery.Body, clock.GetUtcNow());
                var inserted = await InsertAsync(message, cancellationToken);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
                if (inserted)
                {
                    collected++;
                    logger.LogWarning("Dead letter {FailedMessageId} from {ErrorQueue}: {ExceptionType} in {MessageType} of job {JobId} (group {GroupId})",
                        message.Id, queue, message.ExceptionType, message.MessageType, message.JobId, message.GroupId);
                }
            }
        }

        return collected;
    }

    public override void Dispose()
    {
        connection?.Dispose();
        base.Dispose();
    }

    async Task<bool> InsertAsync(FailedMessage message, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO failed_messages (id, broker_key, error_queue, source_queue, group_id, message_type, message_id, job_id,
                tenant_id, exception_type, exception_message, group_message, stack_trace, consumer_type, host, faulted_at,
                retry_count, properties, headers, body, status, collected_at)
            VALUES ({message.Id}, {message.BrokerKey}, {message.ErrorQueue}, {message.SourceQueue}, {message.GroupId},
                {message.MessageType}, {message.MessageId}, {message.JobId}, {message.TenantId}, {message.ExceptionType},
                {message.ExceptionMessage}, {message.GroupMessage}, {message.StackTrace}, {message.ConsumerType}, {message.Host},
                {message.FaultedAt}, {message.RetryCount}, {message.Properties}::jsonb, {message.Headers}::jsonb, {message.Body},
                {message.Status}, {message.CollectedAt})
            ON CONFLICT (broker_key) DO NOTHING
            """, cancellationToken);
        return inserted == 1;
    }
}
