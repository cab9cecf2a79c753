using System.Collections.Concurrent;
using ImageBus.Gemini;
using ImageBus.Persistence;
using ImageBus.Testing;
using ImageBus.Worker.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ImageBus.Worker.Tests;

/// <summary>The Gemini budget shared through PostgreSQL, as two worker processes would use it: each limiter has a
/// connection pool of its own. Run alone: timings on two cores shared with libvips tests would say little.</summary>
[Collection(nameof(SharedRateLimiterTests))]
public sealed class SharedRateLimiterTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        await database.ApplyAsync(OwnedSchema.Of<SharedRateLimiter>());
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Two_busy_limiters_together_stay_within_the_budget_and_use_all_of_it()
    {
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 5, TimeSpan.FromMilliseconds(500));
        var grants = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3.7));

        // Four callers on each limiter, always wanting another call.
        var callers = new[] { Limiter(limit), Limiter(limit) }
            .SelectMany(limiter => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        grants.Add(await limiter.AcquireAsync(stop.Token));
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            })));
        await Task.WhenAll(callers);

        var slots = grants.Order().ToList();
        var windowUs = (long)limit.Window.TotalMicroseconds;
        // No window of that length, however aligned, holds more than the budget: any N+1 calls span a full window.
        Assert.All(Enumerable.Range(0, slots.Count - limit.PermitsPerWindow),
            i => Assert.True(slots[i + limit.PermitsPerWindow] - slots[i] >= windowUs, $"{limit.PermitsPerWindow + 1} calls within {limit.Window}"));
        // And the budget was used: once every caller was busy (the first windows open connections on two cores),
        // every whole window before the last call held all of it.
        var perWindow = slots.GroupBy(slot => slot / windowUs).Select(g => g.Count()).ToList();
        Assert.True(perWindow.Count >= 6, $"only {perWindow.Count} windows");
        Assert.All(perWindow.Skip(2).SkipLast(1), calls => Assert.Equal(limit.PermitsPerWindow, calls));
    }

    [Fact]
    public async Task A_burst_from_two_workers_below_gemini_quota_gets_no_429()
    {
        // FakeGemini's quota is 10 calls a second; the workers share 6, which leaves room for calls that reach it late.
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=600", "--FakeGemini:RateWindow=00:00:01");
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 6, TimeSpan.FromSeconds(1));
        await using var first = GeminiServices(fake, Limiter(limit));
        await using var second = GeminiServices(fake, Limiter(limit));

        var failures = await BurstAsync(first, second);

        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_same_burst_without_the_limiter_meets_gemini_quota()
    {
        // The same 10 calls per window, over a 10 s window: a loaded machine that spreads the 16 calls over a second or more
        // still lands them in one window, so the 429s do not depend on how fast this machine starts them.
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=60", "--FakeGemini:RateWindow=00:00:10");
        await using var first = GeminiServices(fake, rateLimiter: null);
        await using var second = GeminiServices(fake, rateLimiter: null);

        var failures = await BurstAsync(first, second);

        Assert.Contains(GeminiErrorCodes.ResourceExhausted, failures);
    }

    /// <summary>8 calls at once from each worker, single calls without retries; returns the failures' codes.</summary>
    private static async Task<List<string>> BurstAsync(params ServiceProvider[] workers)
    {
        // Warm, as the start-up check leaves a real worker: a call leaves at its slot on the database's clock and reaches
        // Gemini a moment later; a cold first connection could stretch that moment enough to bunch calls up.
        foreach (var worker in workers)
        {
            await worker.GetRequiredService<IGeminiClient>().GetModelAsync(GeminiImageModels.Default, CancellationToken.None);
        }

        var calls = workers.SelectMany(w => Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await w.GetRequiredService<IGeminiClient>().GenerateImageAsync(new GeminiImageRequest($"burst {i}", "1:1", "1K"), CancellationToken.None);
                return null;
            }
            catch (GeminiException ex)
            {
                return ex.ErrorCode;
            }
        }));
        // 16 calls at 6 a second take about 3 s: a limiter that waits whole minutes, or forever, fails here.
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(45));
        return results.OfType<string>().ToList();
    }

    private static ServiceProvider GeminiServices(WebApplication fake, IGeminiRateLimiter? rateLimiter)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gemini:BaseUrl"] = fake.Urls.Single(),
            ["Gemini:ApiKey"] = FakeGeminiHost.ApiKey,
        }).Build();
        var services = new ServiceCollection().AddLogging();
        if (rateLimiter is not null)
        {
            services.AddSingleton(rateLimiter);
        }

        return services.AddGeminiClient(configuration).BuildServiceProvider();
    }

    private SharedRateLimiter Limiter(SharedRateLimit limit) =>
        new(NpgsqlDataSource.Create(database.ConnectionString), limit, NullLogger<SharedRateLimiter>.Instance);
}

[CollectionDefinition(nameof(SharedRateLimiterTests), DisableParallelization = true)]
public sealed class SharedRateLimiterTestsRunAlone;
