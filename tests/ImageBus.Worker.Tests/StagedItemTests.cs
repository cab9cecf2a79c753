using System.Security.Cryptography;
using ImageBus.Contracts;
using ImageBus.FakeGemini;
using ImageBus.Gemini;
using ImageBus.Worker.Generation;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Worker.Tests;

/// <summary>Staged items on the real consumer and FakeGemini: step 1 analyses the source image in text, step 2 generates from
/// that analysis; a step-1 failure fails the image without a generation call; both steps are counted and priced.</summary>
public sealed class StagedItemTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>, IAsyncLifetime
{
    private ServiceProvider services = null!;
    private ITestHarness harness = null!;

    public async Task InitializeAsync()
    {
        services = fixture.Services();
        harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    /// <summary>FakeGemini's generateContent calls for this item (its name is in both steps' prompts), in order.</summary>
    private IReadOnlyList<FakeRequest> CallsFor(GenerateImage command) =>
        [.. fixture.GeminiRequests.GenerateContent.Where(r => r.Prompt.Contains(command.Item.Name, StringComparison.Ordinal))];

    private static string AnalysisPath => $"/v1beta/models/{GeminiOptions.DefaultAnalysisModel}:generateContent";

    private static string ImagePath => $"/v1beta/models/{WorkerFixture.Model}:generateContent";

    [Fact]
    public async Task The_image_is_generated_from_the_analysis_of_its_source_image()
    {
        var command = WorkerFixture.StagedCommand("turn it into a night scene", $"{fixture.SourcesUrl}/red.png");

        var generated = Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        var step = Assert.Single(harness.Published.Select<ImageStepCompleted>(m => m.Context.Message.ItemId == command.Item.ItemId)).Context.Message;
        Assert.Equal((command.JobId, 1, GeminiOptions.DefaultAnalysisModel, 1, 1), (step.JobId, step.Attempt, step.Model, step.Calls, step.BilledCalls));
        Assert.Contains(command.Item.Name, step.Analysis, StringComparison.Ordinal);

        var calls = CallsFor(command);
        Assert.Equal([AnalysisPath, ImagePath], calls.Select(c => c.Path));
        var red = new FakeInlineData("image/png", WorkerFixture.RedPng.Length, Convert.ToHexString(SHA256.HashData(WorkerFixture.RedPng)));
        Assert.All(calls, call => Assert.Equal(red, Assert.Single(call.InlineData)));
        Assert.Contains("turn it into a night scene", calls[0].Prompt, StringComparison.Ordinal);
        Assert.Contains(step.Analysis, calls[1].Prompt, StringComparison.Ordinal);

        // Both calls are billed and priced: the image at its price, the analysis by its text model's tokens.
        Assert.Equal(2, generated.BilledCalls);
        var analysisPromptTokens = calls[0].Prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var analysisTokens = step.Analysis.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var analysisCost = (analysisPromptTokens * WorkerFixture.AnalysisInputPerMillion + analysisTokens * WorkerFixture.AnalysisOutputPerMillion) / 1_000_000m;
        Assert.Equal(WorkerFixture.PricePerImage + analysisCost, generated.EstimatedCostUsd);
        var imagePromptTokens = calls[1].Prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(analysisPromptTokens + analysisTokens + imagePromptTokens + 1290, generated.TotalTokens);
    }

    [Fact]
    public async Task A_failed_analysis_fails_the_image_without_a_generation_call()
    {
        var command = WorkerFixture.StagedCommand("a night scene [fake:text-error=503]", $"{fixture.SourcesUrl}/red.png");

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        // Gemini:AnalysisMaxAttempts (3) calls, 503s are not billed.
        Assert.Equal((WorkerErrorCodes.Analysis("UNAVAILABLE"), true, 3, 0), (failed.ErrorCode, failed.Transient, failed.Calls, failed.BilledCalls));
        Assert.All(CallsFor(command), call => Assert.Equal(AnalysisPath, call.Path));
        Assert.Equal(3, CallsFor(command).Count);
        Assert.False(harness.Published.Select<ImageStepCompleted>(m => m.Context.Message.ItemId == command.Item.ItemId).Any());
        Assert.Empty(fixture.FilesOf(command));
    }

    [Fact]
    public async Task A_blocked_analysis_is_billed_and_not_retried()
    {
        var command = WorkerFixture.StagedCommand("a night scene [fake:blocked]", $"{fixture.SourcesUrl}/red.png");

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal(("ANALYSIS_PROHIBITED_CONTENT", false, 1, 1), (failed.ErrorCode, failed.Transient, failed.Calls, failed.BilledCalls));
        Assert.Equal([AnalysisPath], CallsFor(command).Select(c => c.Path));
    }

    [Fact]
    public async Task A_failed_generation_after_the_analysis_counts_both_steps()
    {
        var command = WorkerFixture.StagedCommand("a night scene [fake:safety]", $"{fixture.SourcesUrl}/red.png");

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        // [fake:safety] leaves text calls alone: the analysis passes, the image is refused.
        Assert.Equal(("IMAGE_SAFETY", 2, 2), (failed.ErrorCode, failed.Calls, failed.BilledCalls));
        Assert.Equal([AnalysisPath, ImagePath], CallsFor(command).Select(c => c.Path));
    }

    [Fact]
    public async Task A_staged_item_without_a_source_image_makes_no_call()
    {
        var command = WorkerFixture.StagedCommand("a night scene", sourceImageUrl: null);

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal((WorkerErrorCodes.AnalysisNoSource, 0), (failed.ErrorCode, failed.Calls));
        Assert.Empty(CallsFor(command));
    }
}
