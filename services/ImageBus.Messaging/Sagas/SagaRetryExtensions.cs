using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImageBus.Messaging.Sagas;

public static class SagaRetryExtensions
{
    /// <summary>Retries what a saga's PostgreSQL transaction may meet under concurrency: two first messages of one
    /// saga inserting it at once (unique violation), serialization failures, deadlocks, optimistic concurrency
    /// conflicts; quickly, a few times. A database outage is retried for longer (<see cref="DatabaseOutageRetry.UseMessageRetryThroughDatabaseOutages"/>).</summary>
    public static void UseSagaPersistenceRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetryThroughDatabaseOutages(r =>
        {
            // Not data the database refuses (22xxx, e.g. a NUL in text): that fails again however often it is tried.
            r.Handle<DbUpdateException>(e => e.InnerException is not PostgresException { SqlState: ['2', '2', ..] });
            r.Handle<NpgsqlException>(e => e.IsTransient || e is PostgresException { SqlState: "23505" or "40001" or "40P01" });
            r.Exponential(10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        });
}
