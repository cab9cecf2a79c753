using System.Diagnostics;
using System.Text;
using ImageBus.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The RabbitMQ user <c>./imagebus bus-user create</c> makes for an upstream app may publish the job commands and
/// follow the job events on queues of its own, and nothing else on the bus.</summary>
public sealed class BusUserPermissionTests : IAsyncLifetime
{
    const string App = "detective-game";
    const string CommandExchange = "ImageBus.Contracts:GenerateCaseImages";
    const string EventExchange = "ImageBus.Contracts:JobCompleted";
    const string InternalExchange = "ImageBus.Contracts:ImageGenerated";

    TestVirtualHost virtualHost = null!;
    IConnection services = null!;
    IConnection upstream = null!;

    public async Task InitializeAsync()
    {
        virtualHost = await TestVirtualHost.CreateAsync();
        services = await Connect("guest", "guest");
        await using var channel = await services.CreateChannelAsync();
        // The topology the services declare: the command's exchange feeding the saga's queue, a worker queue, an error queue.
        foreach (var name in new[] { CommandExchange, EventExchange, InternalExchange, "job-state", "generate-image" })
        {
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true);
        }

        foreach (var queue in new[] { "job-state", "generate-image", "job-state_error" })
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        }

        await channel.ExchangeBindAsync("job-state", CommandExchange, "");
        await channel.QueueBindAsync("job-state", "job-state", "");
        await channel.QueueBindAsync("generate-image", "generate-image", "");
        await channel.BasicPublishAsync("", "job-state_error", Encoding.UTF8.GetBytes("a faulted command"));

        var created = await CreateBusUserAsync(App, virtualHost.Name);
        Assert.Equal($"upstream.{App}", created["user"]);
        upstream = await Connect(created["user"], created["password"]);
    }

    [Fact]
    public async Task The_app_publishes_job_commands()
    {
        await using var channel = await upstream.CreateChannelAsync();
        await channel.BasicPublishAsync(CommandExchange, "", Encoding.UTF8.GetBytes("""{"jobId":"8c6f8bde-0000-4000-8000-000000000001"}"""));

        await using var check = await services.CreateChannelAsync();
        await WaitUntilAsync(async () => await check.MessageCountAsync("job-state") == 1);
    }

    [Fact]
    public async Task The_app_follows_job_events_on_a_queue_of_its_own()
    {
        await using var channel = await upstream.CreateChannelAsync();
        var queue = $"upstream.{App}.job-events";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, EventExchange, "");

        await using var publisher = await services.CreateChannelAsync();
        await publisher.BasicPublishAsync(EventExchange, "", Encoding.UTF8.GetBytes("{}"));
        await WaitUntilAsync(async () => await channel.BasicGetAsync(queue, autoAck: true) is not null);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "publish to a worker's queue", "generate-image" },
        { "read a dead letter", "job-state_error" },
        { "consume the saga's queue", "job-state" },
        { "declare a queue outside its prefix", "upstream.other-app.events" },
        { "bind its queue to an internal message", InternalExchange },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task The_app_is_refused_everything_else(string what, string target)
    {
        await using var channel = await upstream.CreateChannelAsync();
        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(async () =>
        {
            switch (what)
            {
                case "publish to a worker's queue":
                    await channel.BasicPublishAsync(target, "", Encoding.UTF8.GetBytes("{}"));
                    // A refused publish closes the channel; the next call on it reports why.
                    await channel.QueueDeclarePassiveAsync($"upstream.{App}.probe");
                    break;
                case "read a dead letter":
                case "consume the saga's queue":
                    await channel.BasicGetAsync(target, autoAck: true);
                    break;
                case "declare a queue outside its prefix":
                    await channel.QueueDeclareAsync(target, durable: true, exclusive: false, autoDelete: false);
                    break;
                default:
                    var queue = $"upstream.{App}.internal";
                    await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                    await channel.QueueBindAsync(queue, target, "");
                    break;
            }
        });

        Assert.Equal((ushort)403, refused.ShutdownReason?.ReplyCode);
        await using var check = await services.CreateChannelAsync();
        Assert.Equal(0u, await check.MessageCountAsync("generate-image"));
        Assert.Equal(1u, await check.MessageCountAsync("job-state_error"));
    }

    public async Task DisposeAsync()
    {
        await upstream.DisposeAsync();
        await services.DisposeAsync();
        await virtualHost.DisposeAsync();
    }

    async Task<IConnection> Connect(string user, string password) =>
        await new ConnectionFactory
        {
            HostName = "127.0.0.1", Port = TestServers.SharedBroker.Amqp, VirtualHost = virtualHost.Name,
            UserName = user, Password = password,
        }.CreateConnectionAsync();

    /// <summary>Runs the script an operator runs, against the test broker, and reads what it prints.</summary>
    static async Task<Dictionary<string, string>> CreateBusUserAsync(string app, string vhost)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot.Path, "imagebus"), ["bus-user", "create", app, vhost])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["IMAGEBUS_RABBIT_MGMT_PORT"] = TestServers.SharedBroker.Management.ToString();
        using var script = Process.Start(start)!;
        var output = await script.StandardOutput.ReadToEndAsync();
        var errors = await script.StandardError.ReadToEndAsync();
        await script.WaitForExitAsync();
        Assert.True(script.ExitCode == 0, errors);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if (await condition())
            {
                return;
            }
        }

        Assert.Fail("the condition did not hold within 30 s");
    }
}
