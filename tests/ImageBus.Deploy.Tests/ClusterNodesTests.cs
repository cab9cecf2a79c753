using ImageBus.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Deploy.Tests;

/// <summary><c>RabbitMq:ClusterNodes</c> (what <c>./imagebus up --instances N</c> gives every service): each node is
/// host:port, a bad one stops the service at start-up, and connections made beside MassTransit try every node.</summary>
public sealed class ClusterNodesTests
{
    [Fact]
    public void Every_cluster_node_is_an_endpoint()
    {
        using var services = Services("127.0.0.1:5874", "localhost:5875", "rabbit-3.internal:5876");

        services.GetRequiredService<IStartupValidator>().Validate();

        var endpoints = services.GetRequiredService<IOptions<RabbitMqOptions>>().Value.Endpoints();
        Assert.Equal(["127.0.0.1:5874", "localhost:5875", "rabbit-3.internal:5876"], endpoints.Select(e => $"{e.HostName}:{e.Port}"));
    }

    [Fact]
    public void Without_cluster_nodes_the_one_host_is_the_endpoint()
    {
        using var services = Services();

        var endpoint = Assert.Single(services.GetRequiredService<IOptions<RabbitMqOptions>>().Value.Endpoints());
        Assert.Equal(("127.0.0.1", 5673), (endpoint.HostName, endpoint.Port));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:56x")]
    [InlineData(":5874")]
    [InlineData("bad host:5874")]
    [InlineData("amqp://127.0.0.1:5874")]
    public void A_bad_node_is_refused_at_start_up(string node)
    {
        using var services = Services("127.0.0.1:5874", node);

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains($"RabbitMq:ClusterNodes: '{node}' is not host:port", ex.Message, StringComparison.Ordinal);
    }

    static ServiceProvider Services(params string[] nodes)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(nodes.Select((node, i) => KeyValuePair.Create($"RabbitMq:ClusterNodes:{i}", (string?)node)))
            .Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddImageBusMessaging(_ => { }).BuildServiceProvider();
    }
}
