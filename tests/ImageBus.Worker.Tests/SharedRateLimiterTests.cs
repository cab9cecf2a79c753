using System.Collections.Concurrent;
using ImageBus.Gemini;
using ImageBus.Persistence;
using ImageBus.Testing;
using ImageBus.Worker.Generation;
using ImageBus.Worker.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
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
        var callers = new[] { Limiter(), Limiter() }
            .SelectMany(limiter => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        grants.Add(await limiter.AcquireAsync([limit], "", null, stop.Token));
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
        // every whole window before the last call held all of it (grants come in bursts one window apart).
        var perWindow = slots.GroupBy(slot => slot / windowUs).Select(g => g.Count()).ToList();
        Assert.True(perWindow.Count >= 6, $"only {perWindow.Count} windows");
        Assert.All(perWindow.Skip(2).SkipLast(1), calls => Assert.Equal(limit.PermitsPerWindow, calls));
    }

    [Fact]
    public async Task A_burst_from_two_workers_below_gemini_quota_gets_no_429()
    {
        // FakeGemini's quota is 10 calls in each second (windows aligned on the epoch); the workers share 5 in any second, so
        // even a burst that reaches FakeGemini late, in the window of the next burst, makes 10 at most.
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=600", "--FakeGemini:RateWindow=00:00:01");
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 5, TimeSpan.FromSeconds(1));
        await using var first = GeminiServices(fake, new OneBudget(Limiter(), limit));
        await using var second = GeminiServices(fake, new OneBudget(Limiter(), limit));

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
        // 16 calls at 5 a second take about 3 s: a limiter that waits whole minutes, or forever, fails here.
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

    [Fact]
    public async Task A_burst_up_to_the_budget_is_granted_at_once_and_the_next_call_a_window_after_the_first()
    {
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 10, TimeSpan.FromMinutes(1));
        var first = Limiter();
        var second = Limiter();

        // Ten calls from two workers: none waits (a wait would be close to a minute, far past the timeout).
        var burst = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? first : second).AcquireAsync([limit], "", null, CancellationToken.None)))
            .WaitAsync(TimeSpan.FromSeconds(30));

        // The eleventh waits for a whole minute after the first of them: told so, it is not granted before.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.AcquireAsync([limit], "", null, giveUp.Token));
        var (granted, retryUs, _) = await ClaimAsync(limit, Guid.NewGuid());
        Assert.False(granted);
        Assert.True(retryUs - burst.Min() >= (long)limit.Window.TotalMicroseconds, "told to try again within a minute of the first ten");
    }

    [Fact]
    public async Task Waiting_calls_take_fair_turns_a_tenant_with_few_is_not_stuck_behind_one_with_many()
    {
        // 2 calls a second; the busy tenant's 12 callers wait (two granted, one booked) when the quiet one's 3 arrive.
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 2, TimeSpan.FromSeconds(1));
        var limiter = Limiter();
        var order = new ConcurrentQueue<string>();
        async Task Call(string tenant)
        {
            await limiter.AcquireAsync([limit], tenant, null, CancellationToken.None);
            order.Enqueue(tenant);
        }

        var busy = Enumerable.Range(0, 12).Select(_ => Call("busy")).ToList();
        await WaitUntilAsync(async () => await WaitersAsync(limit) >= 8);
        var quiet = Enumerable.Range(0, 3).Select(_ => Call("quiet")).ToList();
        await Task.WhenAll(busy.Concat(quiet)).WaitAsync(TimeSpan.FromSeconds(60));

        // In arrival order the quiet tenant's three would be the last of 15 (12, 13, 14); in fair turns they come between the
        // busy one's (give or take the grant the first in line booked a second ahead, those granted before they came, and a
        // loaded machine waking a caller late for its turn).
        var granted = order.ToList();
        Assert.True(granted.IndexOf("quiet") < 6 && granted.LastIndexOf("quiet") < 12, string.Join(" ", granted));
        Assert.Equal(0, await WaitersAsync(limit));
    }

    [Fact]
    public async Task A_waiting_call_gives_its_generating_slot_up_and_holds_it_again_when_granted()
    {
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 1, TimeSpan.FromSeconds(2));
        var limiter = Limiter();
        using var slots = new GenerationSlots(Options.Create(new WorkerOptions { Concurrency = 1 }), new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));
        using (var first = await slots.TakeAsync(CancellationToken.None))
        {
            await limiter.AcquireAsync([limit], "a", first, CancellationToken.None);
        }

        using var waiting = await slots.TakeAsync(CancellationToken.None);
        var waitingCall = limiter.AcquireAsync([limit], "a", waiting, CancellationToken.None);
        // While it waits for the budget, another image can take the only slot (and gives it back).
        using (var other = await slots.TakeAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.False(waitingCall.IsCompleted);
        }

        await waitingCall.WaitAsync(TimeSpan.FromSeconds(30));
        // Granted, it holds the slot again: no one else gets it until it is done.
        using var blocked = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slots.TakeAsync(blocked.Token));
    }

    [Fact]
    public async Task A_call_on_two_budgets_waits_for_the_later_and_counts_on_both()
    {
        var requests = new SharedRateLimit($"requests-{Guid.NewGuid():N}", PermitsPerWindow: 3, TimeSpan.FromSeconds(2));
        var images = new SharedRateLimit($"images-{Guid.NewGuid():N}", PermitsPerWindow: 2, TimeSpan.FromSeconds(2));
        var limiter = Limiter();

        // Two image calls use the image budget up; a text call still has a request left, and takes it.
        var imageCalls = new[] { await limiter.AcquireAsync([requests, images], "", null, CancellationToken.None), await limiter.AcquireAsync([requests, images], "", null, CancellationToken.None) };
        var textCall = await limiter.AcquireAsync([requests], "", null, CancellationToken.None);
        // A third image call waits for the image budget; and the request it takes then is counted on the request budget too,
        // so a text call after it waits for the request window of the first.
        var thirdImage = await limiter.AcquireAsync([requests, images], "", null, CancellationToken.None);
        var nextText = await limiter.AcquireAsync([requests], "", null, CancellationToken.None);

        var windowUs = (long)TimeSpan.FromSeconds(2).TotalMicroseconds;
        Assert.True(textCall - imageCalls.Max() < windowUs, "the text call waited although a request was left");
        Assert.True(thirdImage - imageCalls.Min() >= windowUs, "three images within one window");
        Assert.True(nextText - imageCalls.Min() >= windowUs, "four requests within one window");
    }

    [Fact]
    public async Task A_pause_holds_every_worker_s_calls_until_it_ends()
    {
        var limit = new SharedRateLimit($"test-{Guid.NewGuid():N}", PermitsPerWindow: 100, TimeSpan.FromMinutes(1));
        var before = await Limiter().AcquireAsync([limit], "", null, CancellationToken.None);

        await Limiter().PauseAsync([limit.Name], TimeSpan.FromSeconds(2), CancellationToken.None);
        var after = await Limiter().AcquireAsync([limit], "", null, CancellationToken.None);

        Assert.True(after - before >= (long)TimeSpan.FromSeconds(2).TotalMicroseconds, "a call granted during the pause");
    }

    [Fact]
    public async Task A_per_minute_429_pauses_the_model_s_budget_for_every_worker_until_gemini_s_retry_delay()
    {
        // FakeGemini allows 2 calls per 10 s window and answers the third 429 with a per-minute QuotaFailure and a RetryInfo
        // up to the window's end. Our own budget is far larger: only the pause can keep the other worker from meeting it.
        await using var fake = await FakeGeminiHost.StartAsync("--FakeGemini:RequestsPerMinute=12", "--FakeGemini:RateWindow=00:00:10");
        var options = Options.Create(new WorkerOptions { RequestsPerMinute = 1000, ImagesPerMinute = 1000 });
        await using var first = GeminiServices(fake, new GeminiBudget(Limiter(), options));
        await using var second = GeminiServices(fake, new GeminiBudget(Limiter(), options));
        // Start after a window turned, so that the burst's window has most of its 10 s left.
        await WaitForFreshQuotaWindowAsync(first);

        var burst = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => CallAsync(first, $"burst {i}")));
        Assert.Contains(GeminiErrorCodes.ResourceExhausted, burst);

        // The other worker's next call waits out the pause, so it lands in the next window and succeeds.
        Assert.Null(await CallAsync(second, "after the 429").WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task WaitForFreshQuotaWindowAsync(ServiceProvider worker)
    {
        // The quota's windows are aligned on the epoch: a call in the first second of one leaves 9 s of it.
        var windowUs = (long)TimeSpan.FromSeconds(10).TotalMicroseconds;
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 % windowUs > 1_000_000)
        {
            await Task.Delay(100);
        }

        await worker.GetRequiredService<IGeminiClient>().GetModelAsync(GeminiImageModels.Default, CancellationToken.None);
    }

    /// <summary>One image call without retries; the failure's code, or null.</summary>
    private static async Task<string?> CallAsync(ServiceProvider worker, string prompt)
    {
        try
        {
            await worker.GetRequiredService<IGeminiClient>().GenerateImageAsync(new GeminiImageRequest(prompt, "1:1", "1K"), CancellationToken.None);
            return null;
        }
        catch (GeminiException ex)
        {
            return ex.ErrorCode;
        }
    }

    /// <summary>One try at a call, as a waiter of no tenant (it stays in the line until it expires).</summary>
    private async Task<(bool Granted, long RetryUs, long NowUs)> ClaimAsync(SharedRateLimit limit, Guid waiter)
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var command = data.CreateCommand(
            "SELECT granted, retry_us, now_us FROM claim_rate_limits(ARRAY[@name], ARRAY[@permits], ARRAY[@window_us], '', @waiter)");
        command.Parameters.AddWithValue("name", limit.Name);
        command.Parameters.AddWithValue("permits", limit.PermitsPerWindow);
        command.Parameters.AddWithValue("window_us", (long)limit.Window.TotalMicroseconds);
        command.Parameters.AddWithValue("waiter", waiter);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<long> WaitersAsync(SharedRateLimit limit)
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var command = data.CreateCommand("SELECT count(*) FROM rate_limit_waiters WHERE limiter = @name");
        command.Parameters.AddWithValue("name", limit.Name);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    private SharedRateLimiter Limiter() => new(NpgsqlDataSource.Create(database.ConnectionString), NullLogger<SharedRateLimiter>.Instance);

    /// <summary>One budget of any window for every call, as the Gemini client sees it: FakeGemini's quota windows are scaled
    /// down for tests, Gemini's are minutes.</summary>
    private sealed class OneBudget(SharedRateLimiter limiter, SharedRateLimit limit) : IGeminiRateLimiter
    {
        public async ValueTask WaitForPermitAsync(GeminiCallKind kind, string model, CancellationToken ct) => await limiter.AcquireAsync([limit], "", null, ct);

        public ValueTask PauseAsync(string model, TimeSpan delay, CancellationToken ct) => ValueTask.CompletedTask;
    }
}

[CollectionDefinition(nameof(SharedRateLimiterTests), DisableParallelization = true)]
public sealed class SharedRateLimiterTestsRunAlone;
