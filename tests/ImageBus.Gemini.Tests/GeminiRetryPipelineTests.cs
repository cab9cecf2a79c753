using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>The Polly pipeline on a scripted client (no HTTP): how many calls each kind of failure gets, that calls are
/// counted into <see cref="GeminiException.Calls"/>, and that the caller's cancellation ends a wait.</summary>
public sealed class GeminiRetryPipelineTests
{
    private readonly RetryClock _clock = new();

    [Theory]
    [InlineData(true, null, 4, 4)]
    [InlineData(true, 1, 4, 2)]
    [InlineData(true, 0, 4, 1)]
    [InlineData(true, 5, 3, 3)]
    [InlineData(false, null, 4, 1)]
    [InlineData(true, null, 1, 1)]
    public async Task Calls_follow_the_failures_own_budget_and_max_attempts(bool transient, int? maxRetries, int maxAttempts, int calls)
    {
        var client = new ScriptedClient(() => new GeminiException("X", "scripted", transient, 503, maxRetries: maxRetries));

        var ex = await Assert.ThrowsAsync<GeminiException>(() => _clock.RunAsync(Generator(client, maxAttempts).GenerateAsync(new("p"), default)));

        Assert.Equal(calls, client.Calls);
        Assert.Equal(calls, ex.Calls);
        Assert.Equal(calls - 1, _clock.Waits.Count);
        // A failure whose own budget is spent is final; one stopped only by MaxAttempts may still pass later.
        Assert.Equal(transient && maxRetries is null, ex.IsTransient);
    }

    [Fact]
    public async Task The_analysis_has_its_own_attempts_and_counts_its_billed_calls()
    {
        // A 200 without text (billed) and then 503s (not billed): AnalysisMaxAttempts, not MaxAttempts, ends it.
        var call = 0;
        var client = new ScriptedClient(() => ++call == 1
            ? new GeminiException(GeminiErrorCodes.NoText, "x", true, 200, maxRetries: 5)
            : new GeminiException("UNAVAILABLE", "x", true, 503));
        var options = Options.Create(new GeminiOptions { ApiKey = "k", MaxAttempts = 5, AnalysisMaxAttempts = 2 });
        var analyzer = new GeminiImageAnalyzer(client, options,
            new GeminiRetryPipeline(options, _clock, NullLogger<GeminiRetryPipeline>.Instance), NullLogger<GeminiImageAnalyzer>.Instance);

        var ex = await Assert.ThrowsAsync<GeminiException>(() => _clock.RunAsync(analyzer.AnalyseAsync("p", [1], "image/png", default)));

        Assert.Equal((2, 2, 1, "UNAVAILABLE"), (client.Calls, ex.Calls, ex.BilledCalls, ex.ErrorCode));
    }

    [Fact]
    public async Task A_success_after_failures_reports_every_call()
    {
        var failures = 2;
        var client = new ScriptedClient(() => failures-- > 0 ? new GeminiException("UNAVAILABLE", "x", true, 503) : null);

        var generation = await _clock.RunAsync(Generator(client, 4).GenerateAsync(new("p"), default));

        Assert.Equal((3, 3), (generation.Calls, client.Calls));
    }

    [Fact]
    public async Task The_servers_delay_is_used_rounded_up_to_a_millisecond()
    {
        var client = new ScriptedClient(() => new GeminiException("RESOURCE_EXHAUSTED", "x", true, 429, TimeSpan.FromSeconds(2.0000001)));

        await Assert.ThrowsAsync<GeminiException>(() => _clock.RunAsync(Generator(client, 3).GenerateAsync(new("p"), default)));

        Assert.Equal([TimeSpan.FromMilliseconds(2001), TimeSpan.FromMilliseconds(2001)], _clock.Waits);
    }

    [Fact]
    public async Task Cancelling_during_a_wait_ends_the_generation_as_a_cancellation()
    {
        var client = new ScriptedClient(() => new GeminiException("UNAVAILABLE", "x", true, 503, TimeSpan.FromMinutes(1)));
        using var cancel = new CancellationTokenSource();

        // The clock is not driven: the first retry's wait never ends on its own.
        var generation = Generator(client, 4).GenerateAsync(new("p"), cancel.Token);
        for (var tries = 0; tries < 200 && _clock.Waits.Count == 0; tries++)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generation);
        Assert.Equal(1, client.Calls);
    }

    private GeminiImageGenerator Generator(IGeminiClient client, int maxAttempts)
    {
        var options = Options.Create(new GeminiOptions { ApiKey = "k", MaxAttempts = maxAttempts });
        return new GeminiImageGenerator(client, options,
            new GeminiRetryPipeline(options, _clock, NullLogger<GeminiRetryPipeline>.Instance), NullLogger<GeminiImageGenerator>.Instance);
    }

    /// <summary>Answers each call with the scripted failure, or an image when the script returns none.</summary>
    private sealed class ScriptedClient(Func<GeminiException?> next) : IGeminiClient
    {
        public int Calls { get; private set; }

        public Task<GeminiImage> GenerateImageAsync(GeminiImageRequest request, CancellationToken ct)
        {
            Calls++;
            return next() is { } failure
                ? Task.FromException<GeminiImage>(failure)
                : Task.FromResult(new GeminiImage([1], "image/png", "v", null, "m"));
        }

        public Task<GeminiText> GenerateTextAsync(GeminiTextRequest request, CancellationToken ct)
        {
            Calls++;
            return next() is { } failure
                ? Task.FromException<GeminiText>(failure)
                : Task.FromResult(new GeminiText("an analysis", "v", null, request.Model));
        }

        public Task<GeminiModel> GetModelAsync(string model, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct) => throw new NotSupportedException();
    }
}
