using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageBus.ServiceDefaults.Persistence;

/// <summary>Creates or extends the schema before the service starts consuming. Several instances
/// may start at once: a transaction-scoped advisory lock lets one apply it while the rest wait.</summary>
public sealed class DatabaseSchema(IDbContextFactory<ImageBusDbContext> contexts, ILogger<DatabaseSchema> logger)
    : IHostedService
{
    const long SchemaLockKey = 0x1_4A6E_B005;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({SchemaLockKey})", cancellationToken);
        await db.Database.ExecuteSqlRawAsync(ReadSchemaScript(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Database schema is up to date on {Database}", db.Database.GetDbConnection().Database);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    static string ReadSchemaScript()
    {
        using var stream = typeof(DatabaseSchema).Assembly.GetManifestResourceStream("ImageBus.ServiceDefaults.schema.sql")
            ?? throw new InvalidOperationException("schema.sql is not embedded in ImageBus.ServiceDefaults");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
