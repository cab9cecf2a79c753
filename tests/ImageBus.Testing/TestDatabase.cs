using Npgsql;

namespace ImageBus.Testing;

/// <summary>A PostgreSQL database of its own for one test or fixture, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    TestDatabase(string name)
    {
        Name = name;
        ConnectionString = TestServers.PostgresConnectionString(name);
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var database = new TestDatabase($"imagebus_test_{Guid.NewGuid():N}");
        await using var admin = new NpgsqlConnection(TestServers.PostgresConnectionString("postgres"));
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.PostgresConnectionString("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
