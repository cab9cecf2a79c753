using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImageBus.Persistence;

/// <summary>Creates or extends the tables of every library this service uses, before it starts consuming:
/// in <see cref="StartingAsync"/>, which the host runs before any hosted service starts (the bus included),
/// wherever this one was registered. Several instances may start at once: a transaction-scoped advisory
/// lock lets one apply the scripts while the rest wait.</summary>
public sealed class DatabaseSchema(NpgsqlDataSource database, IEnumerable<OwnedSchema> schemas, ILogger<DatabaseSchema> logger)
    : IHostedLifecycleService
{
    const long SchemaLockKey = 0x1_4A6E_B005;

    public Task StartingAsync(CancellationToken cancellationToken) => ApplyAsync(database, schemas, logger, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Applies <paramref name="schemas"/> in order, in one transaction under the schema lock.</summary>
    public static async Task ApplyAsync(NpgsqlDataSource database, IEnumerable<OwnedSchema> schemas, ILogger logger,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var schema in schemas)
        {
            await using var command = new NpgsqlCommand(schema.ReadScript(), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            logger.LogInformation("Tables of {Owner} are up to date on {Database}", schema.Name, connection.Database);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
