using System.Diagnostics;

namespace ImageBus.Testing;

/// <summary>A RabbitMQ node of a test's own, started with the project's script on free ports, for
/// tests that stop or restart the broker without disturbing every other test.</summary>
public sealed class TestBroker : IAsyncDisposable
{
    readonly string directory;
    readonly Dictionary<string, string> environment;

    TestBroker(string directory, BrokerPorts ports, int distributionPort)
    {
        this.directory = directory;
        Ports = ports;
        environment = new Dictionary<string, string>
        {
            ["IMAGEBUS_LOCAL_DIR"] = directory,
            ["IMAGEBUS_AMQP_PORT"] = ports.Amqp.ToString(),
            ["IMAGEBUS_RABBIT_MGMT_PORT"] = ports.Management.ToString(),
            ["IMAGEBUS_RABBIT_DIST_PORT"] = distributionPort.ToString(),
            ["IMAGEBUS_RABBIT_NODE"] = $"imagebus-test-{ports.Amqp}",
        };
    }

    public BrokerPorts Ports { get; }

    public static async Task<TestBroker> StartAsync()
    {
        var broker = new TestBroker(Directory.CreateTempSubdirectory("imagebus-broker-").FullName,
            new BrokerPorts(FreePort.Next(), FreePort.Next()), FreePort.Next());
        await broker.RunScriptAsync("start_rabbitmq");
        return broker;
    }

    /// <summary>Stops the node and starts it again with its data, as an operator's restart would.</summary>
    public async Task RestartAsync()
    {
        await RunScriptAsync("stop_rabbitmq");
        await RunScriptAsync("start_rabbitmq");
    }

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync("stop_rabbitmq");
        Directory.Delete(directory, recursive: true);
    }

    async Task RunScriptAsync(string function)
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
