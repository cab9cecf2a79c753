using System.Text;
using System.Text.Json;
using ImageBus.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The cluster's virtual host as a non-.NET publisher sees it: RabbitMQ.Client, no MassTransit.</summary>
sealed class PlainJsonBus : IAsyncDisposable
{
    const string CommandExchange = "ImageBus.Contracts:GenerateCaseImages";
    const string RejectedExchange = "ImageBus.Contracts:CaseImagesRejected";
    const string ErrorQueue = "job-state_error";
    readonly IConnection connection;
    readonly IChannel channel;
    string? rejections;

    PlainJsonBus(IConnection connection, IChannel channel) => (this.connection, this.channel) = (connection, channel);

    public static async Task<PlainJsonBus> ConnectAsync(ImageBusCluster cluster)
    {
        var factory = new ConnectionFactory
        {
            HostName = "127.0.0.1", Port = TestServers.AmqpPort, VirtualHost = cluster.VirtualHost.Name, UserName = "guest", Password = "guest",
        };
        var connection = await factory.CreateConnectionAsync("imagebus-plain-json-test");
        return new PlainJsonBus(connection, await connection.CreateChannelAsync());
    }

    public Task PublishPlainAsync(string json) => PublishAsync(json, "application/json");

    /// <summary>As MassTransit would write it: the command inside an envelope naming its type.</summary>
    public Task PublishEnvelopeAsync(string json) => PublishAsync($$"""
        {"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:ImageBus.Contracts:GenerateCaseImages"], "message": {{json}}}
        """, "application/vnd.masstransit+json");

    async Task PublishAsync(string body, string contentType)
    {
        var properties = new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync(CommandExchange, "", mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>A queue of this test's own on the exchange MassTransit publishes <see cref="CaseImagesRejected"/> to
    /// (declared as MassTransit declares it, in case nothing was published there yet).</summary>
    public async Task WatchRejectionsAsync()
    {
        await channel.ExchangeDeclareAsync(RejectedExchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        rejections = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(rejections, RejectedExchange, "");
    }

    public async Task<JsonElement> WaitForRejectionAsync(Guid jobId, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(rejections!, autoAck: true) is { } delivery)
            {
                var message = JsonDocument.Parse(delivery.Body.ToArray()).RootElement.GetProperty("message");
                if (message.GetProperty("jobId").GetGuid() == jobId)
                {
                    return message;
                }

                continue;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no CaseImagesRejected for job {jobId}");
    }

    /// <summary>Messages in the job saga's error queue, counted by the broker (none when the queue was never made).</summary>
    public async Task<uint> ErrorCountAsync()
    {
        await using var probe = await connection.CreateChannelAsync();
        try
        {
            return (await probe.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>The next message in the error queue: its <c>MT-Fault-Message</c> header.</summary>
    public async Task<string> WaitForErrorAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await ErrorCountAsync() > 0 && await channel.BasicGetAsync(ErrorQueue, autoAck: true) is { } delivery)
            {
                return delivery.BasicProperties.Headers?["MT-Fault-Message"] is byte[] reason ? Encoding.UTF8.GetString(reason) : "";
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("nothing reached job-state_error");
    }

    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
