using System.Collections.Concurrent;
using System.Diagnostics;
using ImageBus.Gemini;
using ImageBus.ServiceDefaults.Persistence;
using ImageBus.Testing;
using ImageBus.Worker.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageBus.Worker.Tests;

/// <summary>The Gemini budget shared through PostgreSQL, as two worker processes would use it: each limiter has a
/// connection pool of its own.</summary>
public sealed class SharedRateLimiterTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        await new DatabaseSchema(Contexts(), NullLogger<DatabaseSchema>.Instance).StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Two_busy_limiters_together_stay_within_the_budget_and_use_all_of_it()
    {
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 5, TimeSpan.FromMilliseconds(500));
        var grants = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3.2));

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

        var perWindow = grants.GroupBy(w => w).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        Assert.All(perWindow, calls => Assert.InRange(calls, 1, limit.PermitsPerWindow));
        // The first and last windows were only partly inside the run; every window between was used (nearly) fully:
        // a caller may at most miss the end of a window it was woken for on a loaded machine.
        Assert.True(perWindow.Count >= 5, $"only {perWindow.Count} windows");
        Assert.All(perWindow.Skip(1).SkipLast(1), calls => Assert.InRange(calls, limit.PermitsPerWindow - 1, limit.PermitsPerWindow));
    }

    [Fact]
    public async Task A_burst_from_two_workers_below_gemini_quota_gets_no_429()
    {
        // FakeGemini's quota is 10 calls a second; the workers share 8.
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=600", "--FakeGemini:RateWindow=00:00:01");
        var limit = SharedRateLimit.PerMinute($"test-{Guid.NewGuid():N}", requestsPerMinute: 480, TimeSpan.FromSeconds(1));
        await using var first = GeminiServices(fake, Limiter(limit));
        await using var second = GeminiServices(fake, Limiter(limit));

        var failures = await BurstAsync(first, second);

        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_same_burst_without_the_limiter_meets_gemini_quota()
    {
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=600", "--FakeGemini:RateWindow=00:00:01");
        await using var first = GeminiServices(fake, rateLimiter: null);
        await using var second = GeminiServices(fake, rateLimiter: null);

        var failures = await BurstAsync(first, second);

        Assert.Contains(GeminiErrorCodes.ResourceExhausted, failures);
    }

    /// <summary>12 calls at once from each worker, single calls without retries; returns the failures' codes.</summary>
    private static async Task<List<string>> BurstAsync(params ServiceProvider[] workers)
    {
        var started = Stopwatch.StartNew();
        var calls = workers.SelectMany(w => Enumerable.Range(0, 12).Select(async i =>
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
        var results = await Task.WhenAll(calls);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"the burst took {started.Elapsed}");
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

    private SharedRateLimiter Limiter(SharedRateLimit limit) => new(Contexts(), limit, NullLogger<SharedRateLimiter>.Instance);

    private PooledDbContextFactory<ImageBusDbContext> Contexts() =>
        new(new DbContextOptionsBuilder<ImageBusDbContext>().UseNpgsql(database.ConnectionString).Options);
}
