using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ImageBus.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImageBus.Gemini;

/// <summary>A shared Gemini request budget: its name and calls per minute.</summary>
public sealed record GeminiBudgetSetting(string Limiter, int RequestsPerMinute);

/// <summary>What system health shows of Gemini: calls in the last minute against the configured budget, and the 429s of
/// the last hour. <see cref="RequestsPerMinute"/> is null until a worker reported its budget.</summary>
public sealed record GeminiBudgetFigures(long CallsLastMinute, int? RequestsPerMinute, long RateLimitedLastHour);

/// <summary>Counts this process's Gemini calls (the <c>imagebus.gemini.calls</c> measurements, so the client is untouched)
/// per 10-second bucket in memory and adds them to <c>gemini_call_counts</c> every <see cref="FlushInterval"/> with one
/// upsert, with the budget this worker runs under: cheap (one statement per few seconds, not one per call) and queryable.</summary>
public sealed class GeminiCallLedger : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);
    static readonly TimeSpan Bucket = TimeSpan.FromSeconds(10);

    readonly NpgsqlDataSource database;
    readonly GeminiBudgetSetting budget;
    readonly TimeProvider clock;
    readonly ILogger<GeminiCallLedger> logger;
    readonly MeterListener listener = new();
    readonly ConcurrentDictionary<(DateTimeOffset Bucket, string Model, string Result), long> pending = new();

    public GeminiCallLedger(NpgsqlDataSource database, GeminiBudgetSetting budget, TimeProvider clock, ILogger<GeminiCallLedger> logger)
    {
        this.database = database;
        this.budget = budget;
        this.clock = clock;
        this.logger = logger;
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name == GeminiTelemetry.SourceName && instrument.Name == GeminiTelemetry.CallsInstrument)
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, calls, tags, _) => Count(calls, tags));
        listener.Start();
    }

    void Count(long calls, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string model = "", result = "";
        foreach (var tag in tags)
        {
            if (tag.Key == "model") model = tag.Value as string ?? "";
            if (tag.Key == "result") result = tag.Value as string ?? "";
        }

        var now = clock.GetUtcNow();
        var bucket = new DateTimeOffset(now.UtcTicks - now.UtcTicks % Bucket.Ticks, TimeSpan.Zero);
        pending.AddOrUpdate((bucket, model, result), calls, (_, sum) => sum + calls);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, clock);
        do
        {
            try
            {
                await FlushAsync(CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not record Gemini call counts; keeping them for the next flush");
            }
        }
        while (await WaitAsync(timer, stoppingToken));

        await FlushAsync(CancellationToken.None);
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    async Task FlushAsync(CancellationToken cancellationToken)
    {
        var taken = new List<((DateTimeOffset Bucket, string Model, string Result) Key, long Calls)>();
        foreach (var key in pending.Keys)
        {
            if (pending.TryRemove(key, out var calls))
            {
                taken.Add((key, calls));
            }
        }

        try
        {
            await using var batch = database.CreateBatch();
            foreach (var (key, calls) in taken)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                    INSERT INTO gemini_call_counts AS c (bucket_start, model, result, calls) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (bucket_start, model, result) DO UPDATE SET calls = c.calls + excluded.calls
                    """) { Parameters = { new() { Value = key.Bucket }, new() { Value = key.Model }, new() { Value = key.Result }, new() { Value = calls } } });
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO gemini_budgets (limiter, requests_per_minute, reported_at) VALUES ($1, $2, now())
                ON CONFLICT (limiter) DO UPDATE SET requests_per_minute = excluded.requests_per_minute, reported_at = excluded.reported_at
                """) { Parameters = { new() { Value = budget.Limiter }, new() { Value = budget.RequestsPerMinute } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM gemini_call_counts WHERE bucket_start < now() - interval '1 day'"));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            // Put back for the next flush: counts are never lost to a database hiccup.
            foreach (var (key, calls) in taken)
            {
                pending.AddOrUpdate(key, calls, (_, sum) => sum + calls);
            }

            throw;
        }
    }

    public override void Dispose()
    {
        listener.Dispose();
        base.Dispose();
    }

    /// <summary>What system health reads from the ledger's tables.</summary>
    public static async Task<GeminiBudgetFigures> FiguresAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT coalesce((SELECT sum(calls) FROM gemini_call_counts WHERE bucket_start >= now() - interval '1 minute'), 0),
                   (SELECT sum(requests_per_minute)::int FROM gemini_budgets WHERE reported_at >= now() - interval '5 minutes'),
                   coalesce((SELECT sum(calls) FROM gemini_call_counts
                             WHERE bucket_start >= now() - interval '1 hour' AND result = 'RESOURCE_EXHAUSTED'), 0)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new GeminiBudgetFigures(Convert.ToInt64(reader.GetValue(0)), reader.IsDBNull(1) ? null : reader.GetInt32(1), Convert.ToInt64(reader.GetValue(2)));
    }
}

public static class GeminiCallLedgerExtensions
{
    /// <summary>Records this worker's Gemini calls and its <paramref name="budget"/> (see <see cref="GeminiCallLedger"/>).</summary>
    public static IServiceCollection AddGeminiCallLedger(this IServiceCollection services, Func<IServiceProvider, GeminiBudgetSetting> budget)
    {
        services.AddGeminiCallTables();
        services.AddSingleton(budget);
        services.AddHostedService<GeminiCallLedger>();
        return services;
    }

    /// <summary>The ledger's tables, for the reader (system health) and the writer alike.</summary>
    public static IServiceCollection AddGeminiCallTables(this IServiceCollection services) =>
        services.AddOwnedTables(OwnedSchema.Of<GeminiCallLedger>());
}
