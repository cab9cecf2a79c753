namespace ImageBus.Testing;

/// <summary>A RabbitMQ node of a test's own on free ports (see <see cref="LocalServer"/>).</summary>
public sealed class TestBroker : IAsyncDisposable
{
    TestBroker(LocalServer server, BrokerPorts ports)
    {
        Server = server;
        Ports = ports;
    }

    public BrokerPorts Ports { get; }

    /// <summary>Stops and starts the node.</summary>
    public LocalServer Server { get; }

    public static async Task<TestBroker> StartAsync()
    {
        var ports = new BrokerPorts(FreePort.Next(), FreePort.Next());
        var server = await LocalServer.StartAsync("broker", "start_rabbitmq", "stop_rabbitmq", new Dictionary<string, string>
        {
            ["IMAGEBUS_AMQP_PORT"] = ports.Amqp.ToString(),
            ["IMAGEBUS_RABBIT_MGMT_PORT"] = ports.Management.ToString(),
            ["IMAGEBUS_RABBIT_DIST_PORT"] = FreePort.Next().ToString(),
            ["IMAGEBUS_RABBIT_NODE"] = $"imagebus-test-{ports.Amqp}",
        });
        return new TestBroker(server, ports);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
