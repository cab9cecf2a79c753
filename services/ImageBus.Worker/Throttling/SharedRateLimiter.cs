using System.Data.Common;
using ImageBus.Gemini;
using ImageBus.ServiceDefaults.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImageBus.Worker.Throttling;

/// <summary>A budget of calls per fixed time window.</summary>
/// <param name="Name">What the budget is for; every process using the same name and database shares it.</param>
public sealed record SharedRateLimit(string Name, int PermitsPerWindow, TimeSpan Window)
{
    /// <summary>A per-minute budget counted in windows of <paramref name="window"/>, scaled to its length.</summary>
    public static SharedRateLimit PerMinute(string name, int requestsPerMinute, TimeSpan window) =>
        new(name, (int)Math.Max(1, requestsPerMinute * window.TotalMinutes), window);
}

/// <summary>A request budget shared by every process on one PostgreSQL database: each call is counted in the
/// current window's row of <c>rate_limit_windows</c> by one atomic upsert, which refuses once the window holds
/// <see cref="SharedRateLimit.PermitsPerWindow"/> calls. Refused callers wait for the next window and try again,
/// so a burst is spread over windows instead of turning into 429s, and a busy pool uses the whole budget.
/// Windows follow the database's clock, so workers on machines with skewed clocks still agree.</summary>
public sealed class SharedRateLimiter(
    IDbContextFactory<ImageBusDbContext> contexts,
    SharedRateLimit limit,
    ILogger<SharedRateLimiter> logger) : IGeminiRateLimiter
{
    /// <summary>Windows kept behind the current one; older rows are deleted by the first call of each window.</summary>
    const int WindowsKept = 10;

    const string TakeSql = """
        WITH clock AS (
            SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
        ), slot AS (
            SELECT now_ms / @window_ms AS window_index, @window_ms - now_ms % @window_ms AS remaining_ms FROM clock
        ), counted AS (
            INSERT INTO rate_limit_windows (limiter, window_index, calls)
            SELECT @limiter, window_index, 1 FROM slot
            ON CONFLICT (limiter, window_index) DO UPDATE SET calls = rate_limit_windows.calls + 1
                WHERE rate_limit_windows.calls < @permits
            RETURNING calls
        )
        SELECT (SELECT calls FROM counted), window_index, remaining_ms FROM slot
        """;

    const string PruneSql = "DELETE FROM rate_limit_windows WHERE limiter = @limiter AND window_index < @oldest";

    readonly long windowMs = (long)limit.Window.TotalMilliseconds;

    public async ValueTask WaitForPermitAsync(CancellationToken ct) => await AcquireAsync(ct);

    /// <summary>Waits until a call is counted in some window and returns that window's index
    /// (Unix milliseconds / window length).</summary>
    public async Task<long> AcquireAsync(CancellationToken ct)
    {
        while (true)
        {
            var (granted, window, untilNextWindow) = await TryTakeAsync(ct);
            if (granted)
            {
                return window;
            }

            // A little jitter so the waiters of all processes do not hit the row in the same millisecond.
            var wait = untilNextWindow + TimeSpan.FromMilliseconds(Random.Shared.Next(1, 25));
            logger.LogDebug("Rate limit {Limiter} used up ({Permits} per {Window}); waiting {WaitMs} ms",
                limit.Name, limit.PermitsPerWindow, limit.Window, (long)wait.TotalMilliseconds);
            await Task.Delay(wait, ct);
        }
    }

    async Task<(bool Granted, long Window, TimeSpan UntilNextWindow)> TryTakeAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);

        int? calls;
        long window, remainingMs;
        await using (var take = Command(connection, TakeSql, ("window_ms", windowMs), ("permits", limit.PermitsPerWindow)))
        await using (var reader = await take.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            calls = reader.IsDBNull(0) ? null : reader.GetInt32(0);
            window = reader.GetInt64(1);
            remainingMs = reader.GetInt64(2);
        }

        if (calls == 1)
        {
            await using var prune = Command(connection, PruneSql, ("oldest", window - WindowsKept));
            await prune.ExecuteNonQueryAsync(ct);
        }

        return (calls is not null, window, TimeSpan.FromMilliseconds(remainingMs));
    }

    DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add(new NpgsqlParameter("limiter", limit.Name));
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return command;
    }
}
