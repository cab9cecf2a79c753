using System.ComponentModel.DataAnnotations;
using System.Globalization;
using RabbitMQ.Client;

namespace ImageBus.Messaging;

/// <summary>Where the RabbitMQ broker (or cluster) is. Section <c>RabbitMq</c>.</summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    public const string Section = "RabbitMq";

    [Required]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5673;

    /// <summary>The nodes of a RabbitMQ cluster, each <c>host:port</c>. When set, connections go to these (one after
    /// another until one answers, and again on a lost connection) instead of <see cref="Host"/> and <see cref="Port"/>.</summary>
    public List<string> ClusterNodes { get; set; } = [];

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

    /// <summary>The broker's endpoints: every cluster node, or the one host.</summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints() => ClusterNodes.Count == 0
        ? [new AmqpTcpEndpoint(Host, Port)]
        : ClusterNodes.Select(node => TryParseNode(node, out var host, out var port)
            ? new AmqpTcpEndpoint(host, port)
            : throw new InvalidOperationException($"RabbitMq:ClusterNodes: '{node}' is not host:port")).ToList();

    /// <summary>A RabbitMQ.Client connection for the few things done beside MassTransit, to the first node that answers
    /// (and, on recovery, to any of them).</summary>
    public Task<IConnection> ConnectAsync(string clientName, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { VirtualHost = VirtualHost, UserName = Username, Password = Password };
        return factory.CreateConnectionAsync(Endpoints(), clientName, cancellationToken);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var node in ClusterNodes.Where(node => !TryParseNode(node, out _, out _)))
        {
            yield return new ValidationResult($"RabbitMq:ClusterNodes: '{node}' is not host:port (a host name or IPv4 address, a port 1-65535).",
                [nameof(ClusterNodes)]);
        }
    }

    static bool TryParseNode(string? node, out string host, out int port)
    {
        var colon = node?.LastIndexOf(':') ?? -1;
        host = colon > 0 ? node![..colon] : "";
        port = 0;
        return colon > 0
            && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4
            && int.TryParse(node.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535;
    }
}
