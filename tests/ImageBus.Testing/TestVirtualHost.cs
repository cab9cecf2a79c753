using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace ImageBus.Testing;

/// <summary>A RabbitMQ virtual host of its own for one test or fixture, deleted afterwards with
/// every queue and exchange in it.</summary>
public sealed class TestVirtualHost : IAsyncDisposable
{
    readonly HttpClient management;

    TestVirtualHost(string name, HttpClient management)
    {
        Name = name;
        this.management = management;
    }

    public string Name { get; }

    public static async Task<TestVirtualHost> CreateAsync(BrokerPorts? broker = null)
    {
        var management = CreateManagementClient(broker ?? TestServers.SharedBroker);
        var virtualHost = new TestVirtualHost($"imagebus-test-{Guid.NewGuid():N}", management);
        (await management.PutAsync($"api/vhosts/{virtualHost.Name}", null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{virtualHost.Name}/guest",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        return virtualHost;
    }

    /// <summary>Whether every named queue exists and has at least one consumer.</summary>
    public async Task<bool> AllHaveConsumersAsync(IEnumerable<string> queues)
    {
        var existing = await management.GetFromJsonAsync<List<QueueInfo>>($"api/queues/{Name}") ?? [];
        return queues.All(q => existing.Any(e => e.Name == q && e.Consumers > 0));
    }

    /// <summary>How many messages of the queue consumers hold unacknowledged, as the broker's statistics last said.</summary>
    public async Task<int> UnacknowledgedAsync(string queue)
    {
        var info = await management.GetFromJsonAsync<QueueInfo>($"api/queues/{Name}/{queue}");
        return info?.MessagesUnacknowledged ?? 0;
    }

    /// <summary>The messages MassTransit moved aside (<c>_error</c> and <c>_skipped</c> queues), as "queue: count"; none
    /// when nothing was lost.</summary>
    public async Task<IReadOnlyList<string>> MessagesMovedAsideAsync()
    {
        var existing = await management.GetFromJsonAsync<List<QueueInfo>>($"api/queues/{Name}") ?? [];
        return [.. existing
            .Where(q => q.Messages > 0 && (q.Name.EndsWith("_error", StringComparison.Ordinal) || q.Name.EndsWith("_skipped", StringComparison.Ordinal)))
            .Select(q => $"{q.Name}: {q.Messages}")];
    }

    public async ValueTask DisposeAsync()
    {
        using (management)
        {
            await management.DeleteAsync($"api/vhosts/{Name}");
        }
    }

    static HttpClient CreateManagementClient(BrokerPorts broker)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{broker.Management}/") };
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest")));
        return client;
    }

    sealed record QueueInfo(string Name, int Consumers, int Messages,
        [property: System.Text.Json.Serialization.JsonPropertyName("messages_unacknowledged")] int MessagesUnacknowledged);
}
