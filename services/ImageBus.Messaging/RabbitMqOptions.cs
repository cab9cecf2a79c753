using System.ComponentModel.DataAnnotations;

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
}
