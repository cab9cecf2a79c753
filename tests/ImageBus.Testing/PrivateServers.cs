using System.Diagnostics;

namespace ImageBus.Testing;

/// <summary>Starts servers of a test's own on free ports (<see cref="LocalServer{TEndpoint}"/>).</summary>
public static class PrivateServers
{
    /// <summary>A RabbitMQ node with the management plugin.</summary>
    public static Task<LocalServer<BrokerPorts>> StartBrokerAsync()
    {
        var ports = new BrokerPorts(FreePort.Next(), FreePort.Next());
        return LocalServer<BrokerPorts>.StartAsync("broker", "start_rabbitmq", "stop_rabbitmq", ports, new Dictionary<string, string>
        {
            ["IMAGEBUS_AMQP_PORT"] = ports.Amqp.ToString(),
            ["IMAGEBUS_RABBIT_MGMT_PORT"] = ports.Management.ToString(),
            ["IMAGEBUS_RABBIT_DIST_PORT"] = FreePort.Next().ToString(),
            ["IMAGEBUS_RABBIT_PROMETHEUS_PORT"] = FreePort.Next().ToString(),
            ["IMAGEBUS_RABBIT_NODE"] = $"imagebus-test-{ports.Amqp}",
        });
    }

    /// <summary>A three-node RabbitMQ cluster (start_cluster) with the management plugin on each node.</summary>
    public static Task<LocalServer<BrokerClusterPorts>> StartBrokerClusterAsync()
    {
        // Node K's ports are each base plus K-1: twelve free ports in a row, amqp, management, dist and prometheus.
        var ports = new BrokerClusterPorts(FreePort.NextRun(12));
        return LocalServer<BrokerClusterPorts>.StartAsync("broker-cluster", "start_cluster", "stop_cluster", ports, new Dictionary<string, string>
        {
            ["IMAGEBUS_CLUSTER_AMQP_PORT"] = ports.Amqp(1).ToString(),
            ["IMAGEBUS_CLUSTER_MGMT_PORT"] = ports.Management(1).ToString(),
            ["IMAGEBUS_CLUSTER_DIST_PORT"] = (ports.First + 6).ToString(),
            ["IMAGEBUS_CLUSTER_PROMETHEUS_PORT"] = (ports.First + 9).ToString(),
            ["IMAGEBUS_CLUSTER_NODE"] = $"imagebus-test-{ports.First}",
        });
    }

    /// <summary>A PostgreSQL cluster (initdb); its endpoint is its port. Stopping it is a fast shutdown, which
    /// disconnects its clients.</summary>
    public static Task<LocalServer<int>> StartPostgresAsync()
    {
        var port = FreePort.Next();
        return LocalServer<int>.StartAsync("postgres", "start_postgres", "stop_postgres", port,
            new Dictionary<string, string> { ["IMAGEBUS_PG_PORT"] = port.ToString() });
    }
}

/// <summary>The ports of <see cref="PrivateServers.StartBrokerClusterAsync"/>'s nodes (1-3), from <paramref name="First"/>.</summary>
public sealed record BrokerClusterPorts(int First)
{
    public int Amqp(int node) => First + node - 1;

    public int Management(int node) => First + 3 + node - 1;

    /// <summary>host:port of every node, as <c>RabbitMq:ClusterNodes</c> takes them.</summary>
    public IReadOnlyList<string> Nodes => [.. Enumerable.Range(1, 3).Select(node => $"127.0.0.1:{Amqp(node)}")];
}

/// <summary>A server of a test's own, started and stopped by functions of deploy/local/servers.sh with
/// the test's ports and a temporary data directory, for tests that stop or restart a server without
/// disturbing every other test.</summary>
public sealed class LocalServer<TEndpoint> : IAsyncDisposable
{
    readonly string directory;
    readonly string startFunction;
    readonly string stopFunction;
    readonly Dictionary<string, string> environment;

    LocalServer(string directory, string startFunction, string stopFunction, TEndpoint endpoint, IReadOnlyDictionary<string, string> settings)
    {
        this.directory = directory;
        Endpoint = endpoint;
        this.startFunction = startFunction;
        this.stopFunction = stopFunction;
        environment = new Dictionary<string, string>(settings) { ["IMAGEBUS_LOCAL_DIR"] = directory };
    }

    /// <summary>Where clients reach the server.</summary>
    public TEndpoint Endpoint { get; }

    /// <summary>Starts a server in a new temporary directory; <paramref name="settings"/> are the
    /// script's <c>IMAGEBUS_*</c> variables (ports, node name).</summary>
    internal static async Task<LocalServer<TEndpoint>> StartAsync(string name, string startFunction, string stopFunction, TEndpoint endpoint,
        IReadOnlyDictionary<string, string> settings)
    {
        var directory = Directory.CreateTempSubdirectory($"imagebus-{name}-");
        if (!OperatingSystem.IsWindows())
        {
            // PostgreSQL runs as its own user, which must reach its data directory below this one.
            directory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }
        var server = new LocalServer<TEndpoint>(directory.FullName, startFunction, stopFunction, endpoint, settings);
        try
        {
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server as an operator would; its data stays.</summary>
    public Task StopAsync() => RunAsync(stopFunction);

    /// <summary>Starts the stopped server again with its data.</summary>
    public Task StartAgainAsync() => RunAsync(startFunction);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Runs a command of deploy/local/servers.sh (a function and its arguments) on this server.</summary>
    public async Task RunAsync(string function)
    {
        var script = Path.Combine(RepositoryRoot.Path, "deploy", "local", "servers.sh");
        var start = new ProcessStartInfo("bash", ["-c", $"source '{script}' && {function}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{function} failed ({process.ExitCode}): {await output}");
        }
    }
}
