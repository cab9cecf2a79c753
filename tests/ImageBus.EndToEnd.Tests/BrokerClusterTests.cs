using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Messaging;
using ImageBus.Testing;
using RabbitMQ.Client;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The three-node cluster of <c>./imagebus up --instances N</c> (deploy/local/servers.sh): its quorum queues have a
/// member on every node, and with one node killed a client given every node (<c>RabbitMq:ClusterNodes</c>) still connects
/// and the queue still takes messages; the node started again rejoins.</summary>
public sealed class BrokerClusterTests
{
    const string Queue = "cluster-rehearsal";

    [Fact]
    public async Task A_quorum_queue_lives_on_every_node_and_outlives_a_killed_one()
    {
        await using var cluster = await PrivateServers.StartBrokerClusterAsync();
        var options = new RabbitMqOptions { ClusterNodes = [.. cluster.Endpoint.Nodes] };
        await using (var connection = await options.ConnectAsync("imagebus-cluster-test", CancellationToken.None))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        }

        Assert.Equal(3, (await QueueAsync(cluster.Endpoint.Management(2))).GetProperty("members").GetArrayLength());

        // Node 1 is the first a client tries: the connection must find another.
        await cluster.RunAsync("kill_cluster_node 1");
        await LeaderElectedAsync(cluster.Endpoint.Management(2));
        await using (var connection = await ConnectOnceTheNodesAnswerAsync(options))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            await PublishUntilConfirmedAsync(channel, "after the kill");
            var delivery = await channel.BasicGetAsync(Queue, autoAck: true);
            Assert.Equal("after the kill", delivery is null ? null : System.Text.Encoding.UTF8.GetString(delivery.Body.Span));
        }

        await cluster.RunAsync("restart_cluster_node 1");
        // The restarted node's replica comes back a moment after the node accepts clients.
        var online = 0;
        for (var attempt = 0; attempt < 60 && online < 3; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            online = (await QueueAsync(cluster.Endpoint.Management(1))).GetProperty("online").GetArrayLength();
        }

        Assert.Equal(3, online);
    }

    /// <summary>Waits for the queue's remaining members to elect a leader: RabbitMQ 3.10 nacks, for as long as the
    /// channel lives, every publish of a channel that first published while the leader was the killed node.</summary>
    static async Task LeaderElectedAsync(int managementPort)
    {
        for (var attempt = 0; attempt < 120; attempt++)
        {
            var leader = (await QueueAsync(managementPort)).TryGetProperty("leader", out var node) ? node.GetString() : null;
            if (leader is not null && !leader.Contains("-1@", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.Fail($"no leader of {Queue} was elected in place of node 1");
    }

    /// <summary>Connects as a service's transport does, retrying while the surviving nodes, busy with the lost one,
    /// reset new connections.</summary>
    static async Task<IConnection> ConnectOnceTheNodesAnswerAsync(RabbitMqOptions options)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await options.ConnectAsync("imagebus-cluster-test", CancellationToken.None);
            }
            catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException) when (attempt < 30)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Publishes until the broker confirms: while the queue elects a leader in place of the killed node's, it
    /// refuses messages (as MassTransit's publishers see it, and retry).</summary>
    static async Task PublishUntilConfirmedAsync(IChannel channel, string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await channel.BasicPublishAsync("", Queue, System.Text.Encoding.UTF8.GetBytes(text));
                return;
            }
            catch (RabbitMQ.Client.Exceptions.PublishException) when (attempt < 60)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    static async Task<JsonElement> QueueAsync(int managementPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/") };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        return await http.GetFromJsonAsync<JsonElement>($"api/queues/%2F/{Queue}");
    }
}
