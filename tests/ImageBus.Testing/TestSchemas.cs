using ImageBus.Persistence;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ImageBus.Testing;

public static class TestSchemas
{
    /// <summary>Creates the tables of the given owners in this database, as the services do at start-up.</summary>
    public static async Task ApplyAsync(this TestDatabase database, params OwnedSchema[] schemas)
    {
        await using var source = NpgsqlDataSource.Create(database.ConnectionString);
        await DatabaseSchema.ApplyAsync(source, schemas, NullLogger.Instance, CancellationToken.None);
    }
}
