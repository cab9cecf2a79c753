using System.ComponentModel.DataAnnotations;
using RabbitMQ.Client;

namespace ImageBus.Messaging;

/// <summary>Where the RabbitMQ broker (or cluster) is. Section <c>RabbitMq</c>.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5673;

    [Required]
    public string VirtualHost { get; set; } = "/";

    [Required]
    public string Username { get; set; } = "guest";

    [Required]
    public string Password { get; set; } = "guest";

    /// <summary>Quorum queues replicate across a cluster's nodes; classic queues are kept only for
    /// brokers that cannot run them.</summary>
    public bool QuorumQueues { get; set; } = true;

    /// <summary>The broker's management API (its HTTP port), with the same user and virtual host: operations list the
    /// queues (dead letters, system health) through it.</summary>
    [Required, Url]
    public string ManagementUrl { get; set; } = "http://127.0.0.1:15673/";

    /// <summary>A RabbitMQ.Client connection factory for this broker, for the few things done beside MassTransit.</summary>
    public ConnectionFactory CreateConnectionFactory() => new()
    {
        HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = Username, Password = Password,
    };
}
