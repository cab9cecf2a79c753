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

    sealed record QueueInfo(string Name, int Consumers);
}
