using MassTransit;
using MassTransit.Context;
using MassTransit.Scheduling;
using Npgsql;

namespace ImageBus.Messaging.Scheduling;

/// <summary>
/// Schedules by writing the message straight into <c>scheduled_messages</c>, instead of publishing
/// MassTransit's <c>ScheduleMessage</c> for a scheduler service to store. Why not the publish scheduler:
/// a <c>ScheduleMessage</c> published before the scheduler's queue is bound is lost, and a
/// <c>CancelScheduledMessage</c> consumed before its <c>ScheduleMessage</c> (competing consumers, redelivery)
/// cancels nothing, so the message fires anyway. Writing the row here makes a schedule durable when
/// <c>Schedule</c>/<c>ScheduleSend</c> returns and an <c>Unschedule</c> a plain DELETE; every service that
/// schedules already has the database.
/// </summary>
/// <remarks>The message is serialized now, by MassTransit's own serializer, into the envelope the dispatcher
/// later sends unchanged: message types, ids, the caller's headers and <c>MT-Scheduling-TokenId</c>, which a
/// state machine compares with the token it stored to tell a current schedule from a stale one.</remarks>
/// <param name="transaction">A saga's open transaction: schedules and unschedules then commit (or roll back) with
/// the saga's state, instead of on a connection of their own.</param>
public sealed class PostgresScheduleMessageProvider(ScheduledMessageStore store, ConsumeContext? scheduledFrom,
    NpgsqlTransaction? transaction = null)
    : IScheduleMessageProvider
{
    public async Task<ScheduledMessage<T>> ScheduleSend<T>(
        Uri destinationAddress, DateTime scheduledTime, T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
        where T : class
    {
        if (!MessageTypeCache<T>.IsValidMessageType)
        {
            throw new ArgumentException(MessageTypeCache<T>.InvalidMessageTypeReason, nameof(message));
        }

        var context = new MessageSendContext<T>(message, cancellationToken)
        {
            DestinationAddress = destinationAddress,
            ScheduledMessageId = ScheduleTokenIdCache<T>.GetTokenId(message),
        };
        CarryOverFromConsumeContext(context);
        if (message is CorrelatedBy<Guid> correlated)
        {
            context.CorrelationId = correlated.CorrelationId;
        }

        if (pipe.IsNotEmpty())
        {
            await pipe.Send(context);
        }

        // The pipe may choose the token (MassTransit's redelivery does); read it afterwards.
        var tokenId = context.ScheduledMessageId ?? NewId.NextGuid();
        context.Headers.Set(MessageHeaders.SchedulingTokenId, tokenId.ToString("N"));
        var dueAt = new DateTimeOffset(scheduledTime.Kind == DateTimeKind.Local ? scheduledTime.ToUniversalTime() : DateTime.SpecifyKind(scheduledTime, DateTimeKind.Utc));
        await store.SaveAsync([StoredScheduledMessage.Of(context, tokenId, destinationAddress, dueAt)], transaction, cancellationToken);
        return new ScheduledMessageHandle<T>(tokenId, dueAt.UtcDateTime, destinationAddress, message);
    }

    public Task CancelScheduledSend(Guid tokenId, CancellationToken cancellationToken) =>
        store.CancelAsync(tokenId, cancellationToken, transaction);

    /// <summary>The token is unique across destinations, so the destination adds nothing.</summary>
    public Task CancelScheduledSend(Uri destinationAddress, Guid tokenId, CancellationToken cancellationToken) =>
        store.CancelAsync(tokenId, cancellationToken, transaction);

    /// <summary>What a send from inside a consumer carries over, so the scheduled message stays in the
    /// conversation that scheduled it.</summary>
    void CarryOverFromConsumeContext<T>(MessageSendContext<T> context)
        where T : class
    {
        if (scheduledFrom is null)
        {
            return;
        }

        context.SourceAddress = scheduledFrom.ReceiveContext.InputAddress;
        context.ConversationId = scheduledFrom.ConversationId;
        context.InitiatorId = scheduledFrom.MessageId;
    }
}
