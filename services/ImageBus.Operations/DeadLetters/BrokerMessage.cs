using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Messaging;
using RabbitMQ.Client;

namespace ImageBus.Operations.DeadLetters;

/// <summary>Turns a message read from an <c>_error</c> queue into a <see cref="FailedMessage"/> (what MassTransit's
/// <c>MT-Fault-*</c> headers say, and what the envelope says the message is about), and back into what to send to
/// its source queue.</summary>
public static class BrokerMessage
{
    public const string ErrorQueueSuffix = "_error";
    public const string SkippedQueueSuffix = "_skipped";

    // The headers MassTransit's error transport adds (MassTransit.Abstractions, MessageHeaders): the fault's and the
    // faulting host's. A retried message leaves them behind, as it was before it failed.
    const string FaultPrefix = "MT-Fault-";
    const string HostPrefix = "MT-Host-";
    const string Reason = "MT-Reason";
    const string RedeliveryCount = "MT-Redelivery-Count";

    static readonly string[] DroppedOnRetry = [FaultPrefix, HostPrefix, Reason, RedeliveryCount, "x-delivery-count", "x-death"];

    public static FailedMessage Read(string errorQueue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, DateTimeOffset now)
    {
        var headers = new JsonObject();
        foreach (var (name, value) in properties.Headers ?? new Dictionary<string, object?>())
        {
            headers[name] = ToJson(value);
        }

        var envelope = ParseEnvelope(body);
        var exceptionType = Text(headers, $"{FaultPrefix}ExceptionType") ?? "unknown";
        var exceptionMessage = Text(headers, $"{FaultPrefix}Message") ?? Text(headers, Reason) ?? "";
        var messageType = envelope.MessageType ?? Text(headers, "MT-MessageType") ?? properties.Type;
        var groupMessage = FailureGroups.Normalise(exceptionMessage);
        return new FailedMessage
        {
            Id = Guid.CreateVersion7(now),
            BrokerKey = KeyOf(errorQueue, properties.MessageId, headers, body),
            ErrorQueue = errorQueue,
            SourceQueue = errorQueue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) ? errorQueue[..^ErrorQueueSuffix.Length] : errorQueue,
            GroupId = FailureGroups.IdOf(exceptionType, groupMessage, messageType),
            MessageType = messageType,
            MessageId = envelope.MessageId ?? (Guid.TryParse(properties.MessageId, out var messageId) ? messageId : null),
            JobId = envelope.JobId,
            TenantId = Text(headers, TenantHeader.Name) ?? envelope.TenantId,
            ExceptionType = exceptionType,
            ExceptionMessage = exceptionMessage,
            GroupMessage = groupMessage,
            StackTrace = Text(headers, $"{FaultPrefix}StackTrace"),
            ConsumerType = Text(headers, $"{FaultPrefix}ConsumerType"),
            Host = Text(headers, $"{HostPrefix}MachineName") is { } machine ? $"{machine}/{Text(headers, $"{HostPrefix}ProcessName")}" : null,
            FaultedAt = DateTimeOffset.TryParse(Text(headers, $"{FaultPrefix}Timestamp"), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var faultedAt) ? faultedAt.ToUniversalTime() : now,
            RetryCount = int.TryParse(Text(headers, $"{FaultPrefix}RetryCount"), CultureInfo.InvariantCulture, out var retries) ? retries : 0,
            Properties = new JsonObject
            {
                ["contentType"] = properties.ContentType,
                ["contentEncoding"] = properties.ContentEncoding,
                ["messageId"] = properties.MessageId,
                ["correlationId"] = properties.CorrelationId,
                ["type"] = properties.Type,
                ["appId"] = properties.AppId,
                ["persistent"] = properties.Persistent,
                ["priority"] = properties.IsPriorityPresent() ? properties.Priority : null,
            }.ToJsonString(),
            Headers = headers.ToJsonString(),
            Body = body.ToArray(),
            Status = FailedMessageStatuses.Failed,
            CollectedAt = now,
        };
    }

    /// <summary>The message as it was sent before it failed: its properties, and its headers without the fault's.</summary>
    public static BasicProperties ForRetry(FailedMessage message)
    {
        var stored = JsonNode.Parse(message.Properties)!.AsObject();
        var headers = new Dictionary<string, object?>();
        foreach (var (name, value) in JsonNode.Parse(message.Headers)!.AsObject())
        {
            if (!DroppedOnRetry.Any(dropped => name.StartsWith(dropped, StringComparison.Ordinal)))
            {
                headers[name] = FromJson(value);
            }
        }

        var properties = new BasicProperties
        {
            ContentType = (string?)stored["contentType"],
            ContentEncoding = (string?)stored["contentEncoding"],
            MessageId = (string?)stored["messageId"],
            CorrelationId = (string?)stored["correlationId"],
            Type = (string?)stored["type"],
            AppId = (string?)stored["appId"],
            Persistent = (bool?)stored["persistent"] ?? true,
            Headers = headers,
        };
        if ((byte?)stored["priority"] is { } priority)
        {
            properties.Priority = priority;
        }

        return properties;
    }

    /// <summary>Identity of one broker message: its queue, message id, MassTransit's headers (the fault's time among
    /// them) and body. Broker-added headers (<c>x-delivery-count</c>) change on redelivery, so they are left out.</summary>
    static string KeyOf(string errorQueue, string? messageId, JsonObject headers, ReadOnlyMemory<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var massTransitHeaders = headers.Where(h => h.Key.StartsWith("MT-", StringComparison.Ordinal)).OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}={h.Value?.ToJsonString()}");
        hash.AppendData(Encoding.UTF8.GetBytes($"{errorQueue}\n{messageId}\n{string.Join('\n', massTransitHeaders)}\n"));
        hash.AppendData(body.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    static string? Text(JsonObject headers, string name) =>
        headers[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : headers[name]?.ToJsonString();

    /// <summary>What a MassTransit JSON envelope (or a plain JSON message) says: message id and type, and the job id
    /// (<c>jobId</c>, or <c>correlationId</c> of job-state messages) and tenant of the message inside.</summary>
    static (Guid? MessageId, string? MessageType, Guid? JobId, string? TenantId) ParseEnvelope(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            var isEnvelope = root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object;
            var content = isEnvelope ? message : root;
            var messageType = isEnvelope && root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                && types.GetArrayLength() > 0 ? types[0].GetString() : null;
            return (
                isEnvelope ? GuidOf(root, "messageId") : null,
                messageType,
                GuidOf(content, "jobId") ?? GuidOf(content, "correlationId"),
                content.TryGetProperty("tenantId", out var tenant) && tenant.ValueKind == JsonValueKind.String ? tenant.GetString() : null);
        }
        catch (JsonException)
        {
            // Not JSON: kept whole all the same, just without what an envelope would have said.
            return default;
        }
    }

    static Guid? GuidOf(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetGuid(out var id) ? id : null;

    /// <summary>PostgreSQL refuses NUL in text and jsonb; a header carrying one must not keep its message in the queue.</summary>
    static string Storable(string text) => text.Replace("\0", "", StringComparison.Ordinal);

    static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        // AMQP long strings arrive as bytes.
        byte[] bytes => JsonValue.Create(Storable(Encoding.UTF8.GetString(bytes))),
        string text => JsonValue.Create(Storable(text)),
        bool flag => JsonValue.Create(flag),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        float or double or decimal => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        AmqpTimestamp timestamp => JsonValue.Create(timestamp.UnixTime),
        IDictionary<string, object?> table => new JsonObject(table.Select(e => KeyValuePair.Create(e.Key, ToJson(e.Value)))),
        IEnumerable list => new JsonArray([.. list.Cast<object?>().Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject table => table.ToDictionary(e => e.Key, e => FromJson(e.Value)),
        JsonArray list => list.Select(FromJson).ToList(),
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        _ => node.GetValue<double>(),
    };
}
