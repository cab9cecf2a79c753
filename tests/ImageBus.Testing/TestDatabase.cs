using Npgsql;

namespace ImageBus.Testing;

/// <summary>A PostgreSQL database of its own for one test or fixture, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    readonly string adminConnectionString;

    TestDatabase(string name, int? port)
    {
        Name = name;
        ConnectionString = TestServers.PostgresConnectionString(name, port);
        adminConnectionString = TestServers.PostgresConnectionString("postgres", port);
    }

    public string Name { get; }
    public string ConnectionString { get; }

    /// <summary>Creates the database on the shared server, or on the one at <paramref name="port"/>.</summary>
    public static async Task<TestDatabase> CreateAsync(int? port = null)
    {
        var database = new TestDatabase($"imagebus_test_{Guid.NewGuid():N}", port);
        await using var admin = new NpgsqlConnection(database.adminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
