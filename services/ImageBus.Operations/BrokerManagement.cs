using System.Net.Http.Json;
using System.Text.Json.Serialization;
using ImageBus.Messaging;
using Microsoft.Extensions.Options;

namespace ImageBus.Operations;

/// <summary>One queue of the virtual host as the RabbitMQ management API reports it (its figures lag by the broker's
/// statistics interval, a few seconds).</summary>
public sealed record BrokerQueue(
    string Name,
    [property: JsonPropertyName("messages")] long Messages,
    [property: JsonPropertyName("messages_ready")] long Ready,
    [property: JsonPropertyName("messages_unacknowledged")] long Unacknowledged,
    long Consumers,
    [property: JsonPropertyName("auto_delete")] bool AutoDelete,
    bool Exclusive);

/// <summary>The queues of the configured virtual host, through the management API (<c>RabbitMq:ManagementUrl</c>, the
/// AMQP user and password).</summary>
public sealed class BrokerManagement(HttpClient http, IOptions<RabbitMqOptions> options)
{
    public async Task<IReadOnlyList<BrokerQueue>> ListQueuesAsync(CancellationToken cancellationToken)
    {
        var path = $"api/queues/{Uri.EscapeDataString(options.Value.VirtualHost)}"
            + "?columns=name,messages,messages_ready,messages_unacknowledged,consumers,auto_delete,exclusive";
        return await http.GetFromJsonAsync<List<BrokerQueue>>(path, cancellationToken) ?? [];
    }
}
