using System.Net.Mime;
using MassTransit;
using MassTransit.Serialization;

namespace ImageBus.Messaging.Scheduling;

/// <summary>Writes back the envelope that was stored when the message was scheduled, byte for byte, so the
/// receiver deserializes the original message with its original types and headers.</summary>
sealed class StoredEnvelopeSerializer(StoredScheduledMessage message) : IMessageSerializer
{
    public ContentType ContentType { get; } = new(message.ContentType);

    public MessageBody GetMessageBody<T>(SendContext<T> context)
        where T : class => new MemoryMessageBody(message.Body);
}
