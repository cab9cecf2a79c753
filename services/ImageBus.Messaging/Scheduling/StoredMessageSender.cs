using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Messaging.Scheduling;

/// <summary>Sends a stored envelope to its destination unchanged: what the dispatcher does with a due scheduled
/// message and the transactional outbox with a message its transaction committed. A failure is logged and answered
/// false, so the row stays for a later pass.</summary>
public sealed class StoredMessageSender(IBus bus, IOptions<ScheduledMessageDispatcherOptions> options, ILogger<StoredMessageSender> logger)
{
    public async Task<bool> TrySendAsync(StoredScheduledMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.SendTimeout);
        try
        {
            var endpoint = await bus.GetSendEndpoint(message.Destination);
            await endpoint.Send(new SerializedMessageBody(), Pipe.Execute<SendContext>(context =>
            {
                context.Serializer = new StoredEnvelopeSerializer(message);
                context.MessageId = message.MessageId ?? context.MessageId;
                context.CorrelationId = message.CorrelationId;
                context.ConversationId = message.ConversationId;
            }), timeout.Token);
            return true;
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Sending stored message {TokenId} ({MessageTypes}) to {Destination} failed; it stays for a later pass",
                message.TokenId, string.Join(";", message.MessageTypes), message.Destination);
            return false;
        }
    }
}
