namespace ImageBus.Testing;

/// <summary>A PostgreSQL cluster of a test's own (initdb on a free port, see <see cref="LocalServer"/>).</summary>
public sealed class TestPostgres : IAsyncDisposable
{
    TestPostgres(LocalServer server, int port)
    {
        Server = server;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Stops (fast shutdown: clients are disconnected) and starts the cluster.</summary>
    public LocalServer Server { get; }

    public static async Task<TestPostgres> StartAsync()
    {
        var port = FreePort.Next();
        var server = await LocalServer.StartAsync("postgres", "start_postgres", "stop_postgres", new Dictionary<string, string>
        {
            ["IMAGEBUS_PG_PORT"] = port.ToString(),
        });
        return new TestPostgres(server, port);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
