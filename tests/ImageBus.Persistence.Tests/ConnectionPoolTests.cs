using ImageBus.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;

namespace ImageBus.Persistence.Tests;

/// <summary>The process's pool on the real PostgreSQL: sized by <c>Database:MaxPoolSize</c> whatever the connection string
/// says, its connections named after the service, and a size out of range refused when the host starts.</summary>
public sealed class ConnectionPoolTests
{
    static IHost Host(string connectionString, string? maxPoolSize) =>
        new HostBuilder()
            .UseEnvironment("Production")
            .ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [HostDefaults.ApplicationKey] = "ImageBus.PoolTest",
                [$"ConnectionStrings:{PersistenceExtensions.ConnectionStringName}"] = connectionString,
                [$"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.MaxPoolSize)}"] = maxPoolSize,
            }))
            .ConfigureServices(services => services.AddOwnedTables(OwnedSchema.Of<ImageBus.Jobs.JobsDbContext>()))
            .Build();

    [Fact]
    public async Task The_pool_holds_at_most_its_configured_size_and_names_its_connections_after_the_service()
    {
        await using var database = await TestDatabase.CreateAsync();
        // The connection string asks for 50; the service's setting wins.
        using var host = Host(database.ConnectionString + ";Maximum Pool Size=50;Timeout=2", "3");
        var source = host.Services.GetRequiredService<NpgsqlDataSource>();

        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await source.OpenConnectionAsync());
        }

        await using (var names = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ImageBus.PoolTest'", held[0]))
        {
            Assert.Equal(3L, await names.ExecuteScalarAsync());
        }

        // A fourth waits for one to come back: refused after the connection string's 2 s, served once one is returned.
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await source.OpenConnectionAsync());
        var waiting = source.OpenConnectionAsync().AsTask();
        await held[0].DisposeAsync();
        await using var fourth = await waiting;
        Assert.Equal(System.Data.ConnectionState.Open, fourth.State);
        foreach (var connection in held.Skip(1))
        {
            await connection.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    public async Task A_pool_size_out_of_range_stops_the_host_at_start_up_naming_the_setting(string size)
    {
        await using var database = await TestDatabase.CreateAsync();
        using var host = Host(database.ConnectionString, size);
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(nameof(DatabaseOptions.MaxPoolSize), refused.Message, StringComparison.Ordinal);
    }
}
