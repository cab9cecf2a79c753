using ImageBus.Messaging.Scheduling;
using MassTransit;
using Npgsql;

namespace ImageBus.Worker.Batching;

/// <summary>Runs a change to the batch tables and the seals and polls it calls for in one transaction, on the durable
/// scheduler's table: a batch is never recorded without the message that moves it on, nor the other way round.</summary>
public sealed class BatchScheduling(NpgsqlDataSource database, ScheduledMessageStore scheduledMessages, TimeProvider clock)
{
    public static Uri SealAddress { get; } = new($"exchange:{BatchEndpoints.Seal}");
    public static Uri PollAddress { get; } = new($"exchange:{BatchEndpoints.Poll}");

    public async Task InTransactionAsync(ConsumeContext context, Func<NpgsqlTransaction, BatchScheduler, Task> work)
    {
        await using var connection = await database.OpenConnectionAsync(context.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
        var scheduler = new BatchScheduler(new PostgresScheduleMessageProvider(scheduledMessages, context, transaction), clock, context.CancellationToken);
        await work(transaction, scheduler);
        await transaction.CommitAsync(context.CancellationToken);
    }
}

/// <summary>Schedules a batch's seal and polls inside <see cref="BatchScheduling.InTransactionAsync"/>'s transaction.</summary>
public sealed class BatchScheduler(IScheduleMessageProvider provider, TimeProvider clock, CancellationToken ct)
{
    /// <summary>The batch's seal, <paramref name="after"/> from now; a seal of the same batch scheduled before is replaced.</summary>
    public Task SealAsync(Guid batchId, TimeSpan after) =>
        provider.ScheduleSend(BatchScheduling.SealAddress, Due(after), new SealGeminiBatch(batchId),
            Pipe.Execute<SendContext<SealGeminiBatch>>(send => send.ScheduledMessageId = batchId), ct);

    public Task PollAsync(Guid batchId, TimeSpan after) =>
        provider.ScheduleSend(BatchScheduling.PollAddress, Due(after), new PollGeminiBatch(batchId), Pipe.Empty<SendContext<PollGeminiBatch>>(), ct);

    DateTime Due(TimeSpan after) => (clock.GetUtcNow() + after).UtcDateTime;
}
