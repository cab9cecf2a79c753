using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace ImageBus.Messaging;

/// <summary>
/// Declares a command queue, its exchange and their binding exactly as the consuming service's
/// MassTransit endpoint does (a quorum queue behind a fanout exchange of the same name), before the
/// sending service's bus starts. Senders then send to the exchange: MassTransit's <c>queue:</c>
/// addresses would declare a classic queue, which RabbitMQ refuses once the quorum queue exists
/// (406 PRECONDITION_FAILED), and the queue must exist before the first consumer ever ran, or the
/// first commands would be dropped.
/// </summary>
public sealed class CommandQueueTopology(IOptions<RabbitMqOptions> options, string queueName) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var rabbit = options.Value;
        await using var connection = await rabbit.ConnectAsync("imagebus-topology", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var arguments = rabbit.QuorumQueues ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        await channel.ExchangeDeclareAsync(queueName, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(queueName, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queueName, queueName, "", cancellationToken: cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
