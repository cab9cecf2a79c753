using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Net.Mime;
using ImageBus.Contracts;
using MassTransit;
using MassTransit.Serialization;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// MassTransit's raw JSON deserializer for the job saga's endpoint, for non-.NET publishers: a plain JSON body
/// (<c>application/json</c>, no envelope) is a <see cref="GenerateCaseImages"/> unless its <c>MT-MessageType</c> header
/// names another type. Offered without a type, the endpoint would try the body as each of its message types — a
/// <see cref="CancelCaseImages"/> among them — so the type is settled here, before dispatch.
/// </summary>
sealed class PlainCaseCommandSerializerFactory : ISerializerFactory
{
    public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    public IMessageSerializer CreateSerializer() => new SystemTextJsonRawMessageSerializer(RawSerializerOptions.AddTransportHeaders);

    public IMessageDeserializer CreateDeserializer() => new PlainCaseCommandDeserializer();
}

sealed class PlainCaseCommandDeserializer : IMessageDeserializer
{
    static readonly string CommandType = MessageUrn.ForTypeString<GenerateCaseImages>();

    // Not AnyMessageType: only the types the headers name (here, at least the command) are offered.
    readonly SystemTextJsonRawMessageSerializer raw = new(RawSerializerOptions.AddTransportHeaders);

    public ContentType ContentType => raw.ContentType;

    public void Probe(ProbeContext context) => context.CreateScope("plainCaseCommand").Add("contentType", ContentType.MediaType);

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        raw.Deserialize(body, headers.GetMessageTypes().Length > 0 ? headers : new WithMessageType(headers, CommandType), destinationAddress);

    public MessageBody GetMessageBody(string text) => raw.GetMessageBody(text);

    /// <summary>The transport headers and a message type.</summary>
    sealed class WithMessageType(Headers headers, string messageType) : Headers
    {
        public IEnumerable<KeyValuePair<string, object>> GetAll() =>
            headers.GetAll().Append(KeyValuePair.Create<string, object>(MessageHeaders.MessageType, messageType));

        public bool TryGetHeader(string key, [NotNullWhen(true)] out object? value)
        {
            if (key == MessageHeaders.MessageType)
            {
                value = messageType;
                return true;
            }

            return headers.TryGetHeader(key, out value);
        }

        public T? Get<T>(string key, T? defaultValue = default)
            where T : class =>
            key == MessageHeaders.MessageType ? messageType as T ?? defaultValue : headers.Get(key, defaultValue);

        public T? Get<T>(string key, T? defaultValue = default)
            where T : struct => headers.Get(key, defaultValue);

        public IEnumerator<HeaderValue> GetEnumerator() =>
            headers.Append(new HeaderValue(MessageHeaders.MessageType, messageType)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
