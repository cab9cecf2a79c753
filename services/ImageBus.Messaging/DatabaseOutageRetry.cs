using MassTransit;
using Npgsql;

namespace ImageBus.Messaging;

public static class DatabaseOutageRetry
{
    /// <summary>The endpoint's retries: a message whose handling failed because PostgreSQL could not be reached or
    /// was restarting is tried again for about two minutes, so a restart or failover delays messages instead of
    /// faulting them; any other failure is retried as <paramref name="configure"/> says.</summary>
    public static void UseMessageRetryThroughDatabaseOutages(this IReceiveEndpointConfigurator endpoint, Action<IRetryConfigurator> configure)
    {
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(IsOutage);
            r.Exponential(12, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        });
        // Inside the outage retry, which alone sees outages.
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<Exception>(IsOutage);
            configure(r);
        });
    }

    /// <summary>Whether the exception, or one it wraps (EF Core wraps them), says the database is unreachable,
    /// shutting down or not yet accepting connections, rather than that a statement failed.</summary>
    static bool IsOutage(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                    || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    return false;
                // Not a server's answer: the connection could not be made or broke (sockets, timeouts).
                case NpgsqlException { IsTransient: true }:
                    return true;
            }
        }

        return false;
    }
}
