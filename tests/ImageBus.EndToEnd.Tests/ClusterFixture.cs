using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>One running ImageBus (five processes) shared by the tests of a class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    ImageBusCluster? cluster;

    public ImageBusCluster Cluster => cluster ?? throw new InvalidOperationException("the cluster has not started");

    public async Task InitializeAsync() => cluster = await ImageBusCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}
