using ImageBus.Gemini;
using Npgsql;

namespace ImageBus.Worker.Throttling;

/// <summary>At most <paramref name="PermitsPerWindow"/> calls in any <paramref name="Window"/>, evenly spaced.</summary>
/// <param name="Name">What the budget is for; every process using the same name and database shares it.</param>
public sealed record SharedRateLimit(string Name, int PermitsPerWindow, TimeSpan Window)
{
    public static SharedRateLimit PerMinute(string name, int requestsPerMinute) => new(name, requestsPerMinute, TimeSpan.FromMinutes(1));

    /// <summary>The spacing between two calls.</summary>
    public TimeSpan Interval => Window / PermitsPerWindow;
}

/// <summary>A request budget shared by every process on one PostgreSQL database. Each caller reserves the next free
/// call slot with one atomic upsert on <c>rate_limit_slots</c> (slots are <see cref="SharedRateLimit.Interval"/>
/// apart, on the database's clock) and waits until its slot comes. So any window of
/// <see cref="SharedRateLimit.Window"/>, however it is aligned, holds at most
/// <see cref="SharedRateLimit.PermitsPerWindow"/> calls; a busy pool gets all of them; and a burst is spread out
/// rather than answered with 429s, whatever the provider's own windows are. A caller cancelled while waiting
/// leaves its slot unused: the budget can be under-used then, never over-used.</summary>
public sealed class SharedRateLimiter(
    NpgsqlDataSource database,
    SharedRateLimit limit,
    ILogger<SharedRateLimiter> logger) : IGeminiRateLimiter
{
    const string ReserveSql = """
        WITH clock AS (
            SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us
        )
        INSERT INTO rate_limit_slots AS slots (limiter, next_free_us)
        SELECT @limiter, now_us + @interval_us FROM clock
        ON CONFLICT (limiter) DO UPDATE
            SET next_free_us = GREATEST(slots.next_free_us, (SELECT now_us FROM clock)) + @interval_us
        RETURNING slots.next_free_us - @interval_us, (SELECT now_us FROM clock)
        """;

    readonly long intervalUs = (long)(limit.Interval.TotalMicroseconds);

    public async ValueTask WaitForPermitAsync(CancellationToken ct) => await AcquireAsync(ct);

    /// <summary>Reserves the next free slot, waits until it comes and returns it (Unix microseconds, database clock).</summary>
    public async Task<long> AcquireAsync(CancellationToken ct)
    {
        var (slotUs, nowUs) = await ReserveAsync(ct);
        WorkerMetrics.BudgetWait.Record(Math.Max(0, slotUs - nowUs) / 1e6);
        if (slotUs > nowUs)
        {
            var wait = TimeSpan.FromMicroseconds(slotUs - nowUs);
            logger.LogDebug("Rate limit {Limiter} ({Permits} per {Window}) busy; waiting {WaitMs} ms for a slot",
                limit.Name, limit.PermitsPerWindow, limit.Window, (long)wait.TotalMilliseconds);
            await Task.Delay(wait, ct);
        }

        return slotUs;
    }

    async Task<(long SlotUs, long NowUs)> ReserveAsync(CancellationToken ct)
    {
        await using var reserve = database.CreateCommand(ReserveSql);
        reserve.Parameters.Add(new NpgsqlParameter("limiter", limit.Name));
        reserve.Parameters.Add(new NpgsqlParameter("interval_us", intervalUs));
        await using var reader = await reserve.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
