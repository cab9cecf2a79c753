using Npgsql;
using NpgsqlTypes;

namespace ImageBus.Worker.Throttling;

/// <summary>At most <paramref name="PermitsPerWindow"/> calls in any <paramref name="Window"/>.</summary>
/// <param name="Name">What the budget is for; every process using the same name and database shares it.</param>
public sealed record SharedRateLimit(string Name, int PermitsPerWindow, TimeSpan Window)
{
    public static SharedRateLimit PerMinute(string name, int permitsPerMinute) => new(name, permitsPerMinute, TimeSpan.FromMinutes(1));
}

/// <summary>Budgets shared by every process on one PostgreSQL database, as a sliding window: a call is granted at once
/// unless its budget already granted <see cref="SharedRateLimit.PermitsPerWindow"/> calls within the last
/// <see cref="SharedRateLimit.Window"/>; then it is granted one window after the oldest of those, and waits for it. So a
/// burst up to the budget starts at once, any window however aligned holds at most the budget, and a busy pool uses all
/// of it. One call of <c>reserve_rate_limits</c> (schema.sql) grants a call on several budgets together (Gemini's
/// requests and images per minute) at the time all of them allow. A caller cancelled while waiting leaves its grant
/// unused: a budget can be under-used then, never over-used.</summary>
public sealed class SharedRateLimiter(NpgsqlDataSource database, ILogger<SharedRateLimiter> logger)
{
    /// <summary>Reserves a call on every budget in <paramref name="limits"/>, waits until it is due and returns its time
    /// (Unix microseconds, database clock).</summary>
    public async Task<long> AcquireAsync(IReadOnlyList<SharedRateLimit> limits, CancellationToken ct)
    {
        var (grantedUs, nowUs) = await ReserveAsync(limits, ct);
        WorkerMetrics.BudgetWait.Record(Math.Max(0, grantedUs - nowUs) / 1e6);
        if (grantedUs > nowUs)
        {
            var wait = TimeSpan.FromMicroseconds(grantedUs - nowUs);
            logger.LogDebug("Budget {Limiters} used up; waiting {WaitMs} ms for a call", limits.Select(l => l.Name), (long)wait.TotalMilliseconds);
            await Task.Delay(wait, ct);
        }

        return grantedUs;
    }

    /// <summary>Grants no call on the named budgets for <paramref name="pause"/> from now, across every process.</summary>
    public async Task PauseAsync(IReadOnlyList<string> limiters, TimeSpan pause, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT pause_rate_limits(@names, @pause_us)");
        command.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = limiters.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("pause_us", (long)pause.TotalMicroseconds));
        await command.ExecuteNonQueryAsync(ct);
    }

    async Task<(long GrantedUs, long NowUs)> ReserveAsync(IReadOnlyList<SharedRateLimit> limits, CancellationToken ct)
    {
        await using var reserve = database.CreateCommand("SELECT granted_us, now_us FROM reserve_rate_limits(@names, @permits, @windows_us)");
        reserve.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = limits.Select(l => l.Name).ToArray() });
        reserve.Parameters.Add(new NpgsqlParameter("permits", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = limits.Select(l => l.PermitsPerWindow).ToArray() });
        reserve.Parameters.Add(new NpgsqlParameter("windows_us", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
        {
            Value = limits.Select(l => (long)l.Window.TotalMicroseconds).ToArray(),
        });
        await using var reader = await reserve.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
