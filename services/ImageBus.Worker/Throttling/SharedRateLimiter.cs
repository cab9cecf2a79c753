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
/// while its budget has granted fewer than <see cref="SharedRateLimit.PermitsPerWindow"/> calls within the last
/// <see cref="SharedRateLimit.Window"/>. So a burst up to the budget starts at once, any window however aligned holds at
/// most the budget, and a busy pool uses all of it. When calls wait, they take fair turns between shares (tenants): a
/// share's turn counts its grants within the window and its calls waiting before, so a tenant with one job is not stuck
/// behind another's hundred. One call of <c>claim_rate_limits</c> (schema.sql) grants a call on several budgets together
/// (Gemini's requests and images per minute) or says when to try again; only the first in line books the next opening
/// (due within a second), so a call cancelled while it waits leaves at most that one unused.</summary>
public sealed class SharedRateLimiter(NpgsqlDataSource database, ILogger<SharedRateLimiter> logger)
{
    /// <summary>A waiter tries again at least this often: its place in the line moves as others come and go.</summary>
    static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(5);

    /// <summary>...and no sooner than this, so that a crowd of waiters does not spin on the database.</summary>
    static readonly TimeSpan ShortestWait = TimeSpan.FromMilliseconds(10);

    /// <summary>Waits for a call on every budget in <paramref name="limits"/>, in <paramref name="share"/>'s turn, and
    /// returns when it was granted (Unix microseconds, database clock). A <paramref name="slot"/> is given up between
    /// tries and held again for each, so the call is made as soon as it is granted.</summary>
    public async Task<long> AcquireAsync(IReadOnlyList<SharedRateLimit> limits, string share, GenerationSlot? slot, CancellationToken ct)
    {
        var waiter = Guid.NewGuid();
        long? firstTryUs = null;
        try
        {
            while (true)
            {
                if (slot is not null)
                {
                    await slot.ReturnAsync(ct);
                }

                var (granted, retryUs, nowUs) = await ClaimAsync(limits, share, waiter, ct);
                firstTryUs ??= nowUs;
                if (granted)
                {
                    // Granted for the next opening (first in line, due within a second): the call waits for it, holding its slot.
                    if (retryUs > nowUs)
                    {
                        await Task.Delay(TimeSpan.FromMicroseconds(retryUs - nowUs), ct);
                    }

                    WorkerMetrics.BudgetWait.Record((Math.Max(retryUs, nowUs) - firstTryUs.Value) / 1e6);
                    return Math.Max(retryUs, nowUs);
                }

                slot?.Leave();
                var wait = TimeSpan.FromMicroseconds(Math.Clamp(retryUs - nowUs, (long)ShortestWait.TotalMicroseconds, (long)LongestWait.TotalMicroseconds));
                logger.LogDebug("Budget {Limiters} busy; {Share} waits {WaitMs} ms for its turn", limits.Select(l => l.Name), share, (long)wait.TotalMilliseconds);
                await Task.Delay(wait, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await LeaveLineAsync(limits[0].Name, waiter);
            throw;
        }
    }

    /// <summary>Grants no call on the named budgets for <paramref name="pause"/> from now, across every process.</summary>
    public async Task PauseAsync(IReadOnlyList<string> limiters, TimeSpan pause, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT pause_rate_limits(@names, @pause_us)");
        command.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = limiters.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("pause_us", (long)pause.TotalMicroseconds));
        await command.ExecuteNonQueryAsync(ct);
    }

    async Task<(bool Granted, long RetryUs, long NowUs)> ClaimAsync(IReadOnlyList<SharedRateLimit> limits, string share, Guid waiter, CancellationToken ct)
    {
        await using var claim = database.CreateCommand(
            "SELECT granted, retry_us, now_us FROM claim_rate_limits(@names, @permits, @windows_us, @share, @waiter)");
        claim.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = limits.Select(l => l.Name).ToArray() });
        claim.Parameters.Add(new NpgsqlParameter("permits", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = limits.Select(l => l.PermitsPerWindow).ToArray() });
        claim.Parameters.Add(new NpgsqlParameter("windows_us", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
        {
            Value = limits.Select(l => (long)l.Window.TotalMicroseconds).ToArray(),
        });
        claim.Parameters.Add(new NpgsqlParameter("share", share));
        claim.Parameters.Add(new NpgsqlParameter("waiter", waiter));
        await using var reader = await claim.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Best effort: a waiter left behind leaves the line by itself once it is not refreshed.</summary>
    async Task LeaveLineAsync(string limiter, Guid waiter)
    {
        try
        {
            await using var leave = database.CreateCommand("SELECT leave_rate_limit_line(@name, @waiter)");
            leave.Parameters.Add(new NpgsqlParameter("name", limiter));
            leave.Parameters.Add(new NpgsqlParameter("waiter", waiter));
            await leave.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException exception)
        {
            logger.LogDebug(exception, "A cancelled call could not leave the line of {Limiter}; it expires", limiter);
        }
    }
}
