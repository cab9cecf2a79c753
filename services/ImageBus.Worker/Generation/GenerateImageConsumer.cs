using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Worker.Throttling;
using MassTransit;

namespace ImageBus.Worker.Generation;

/// <summary>Generates one image: skip it if the job was cancelled, fetch the source image if the item edits one (a URL or an upload),
/// Gemini → check and cover-resize → JPEG, WebP and thumbnail in the blob store → <see cref="ImageGenerated"/> with
/// the tokens and estimated cost. A staged item first has Gemini analyse its source image in text (step 1, reported with
/// <see cref="ImageStepCompleted"/>), then generates from that analysis (step 2); both steps' calls count in the result. A
/// failure Gemini, the source image or the image reports is answered with <see cref="ImageGenerationFailed"/> (a step-1
/// failure with an <see cref="WorkerErrorCodes.AnalysisPrefix"/> code, and no generation call); anything else is retried by
/// the endpoint and then faulted. One delivery of an attempt makes it (<see cref="ImageAttemptClaims"/>).</summary>
public sealed class GenerateImageConsumer(
    GeminiImageGenerator gemini,
    GeminiImageAnalyzer analyzer,
    ImageResults results,
    ImageRequestBuilder requests,
    PromptBuilder prompts,
    SourceImageFetcher sourceImages,
    JobCancellationCheck cancellations,
    ImageAttemptClaims claims,
    ResultPublisher publisher,
    GenerationLifetime lifetime,
    GenerationSlots slots,
    TimeProvider clock,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    /// <summary>A 200 whose bytes do not decode is asked for once more, then given up.</summary>
    const int DecodeAttempts = 2;

    static readonly TimeSpan RecheckCancellationAfter = TimeSpan.FromSeconds(1);

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        // Before a slot: a second delivery of an image being made waits without holding one.
        await using var claim = await claims.ClaimAsync(context, context.CancellationToken);
        if (claim is null)
        {
            return;
        }

        var waitedFrom = clock.GetTimestamp();
        using var slot = await slots.TakeAsync(context.CancellationToken);
        // Found by the budget's wait inside the Gemini client, in this flow only.
        GenerationSlots.Current = slot;
        GeminiBudget.CurrentShare = context.Message.TenantId;
        // The claim said whether the job was cancelled; a long wait for a slot (a busy worker) asks again.
        var cancelled = claim.JobCancelled || (clock.GetElapsedTime(waitedFrom) > RecheckCancellationAfter
            && await cancellations.IsCancelledAsync(context.Message.JobId, context.CancellationToken));
        await GenerateAsync(context, cancelled);
        await claim.DoneAsync();
    }

    /// <summary>On the worker's lifetime, not the consume context's token: an image at Gemini when its channel goes is
    /// finished and published, not made (and billed) again by the redelivered copy (<see cref="GenerationLifetime"/>).</summary>
    async Task GenerateAsync(ConsumeContext<GenerateImage> context, bool cancelled)
    {
        var command = context.Message;
        if (cancelled)
        {
            await Fail(context, WorkerErrorCodes.Cancelled, "The job was cancelled before this image was generated.", transient: false, calls: 0, billedCalls: 0);
            return;
        }

        var calls = 0;
        var billedCalls = 0;
        GeminiAnalysis? analysis = null;
        try
        {
            // Fetched once per attempt: Gemini's retries, the decode retry and a staged item's two steps reuse it.
            var source = await sourceImages.FetchAsync(command.Item, lifetime.Token);
            var prompt = prompts.Build(command.Item);
            if (command.Item.Kind == ImageKinds.Staged)
            {
                analysis = await AnalyseAsync(context, source);
                if (analysis is null)
                {
                    return;
                }

                (calls, billedCalls) = (analysis.Calls, analysis.BilledCalls);
                // The analysis took a while: a job cancelled meanwhile pays for no image.
                if (await cancellations.IsCancelledAsync(command.JobId, lifetime.Token))
                {
                    await Fail(context, WorkerErrorCodes.Cancelled, "The job was cancelled before this image was generated.", transient: false, calls, billedCalls,
                        analysis);
                    return;
                }

                prompt = prompts.BuildGeneration(command.Item, analysis.Answer.Text);
            }

            var request = requests.Build(command, prompt, source);
            GeminiUsage? usage = null;
            for (var decodeAttempt = 1; ; decodeAttempt++)
            {
                var generation = await gemini.GenerateAsync(request, lifetime.Token);
                calls += generation.Calls;
                billedCalls += generation.BilledCalls;
                // Every image Gemini returned is billed, the undecodable one included.
                usage = ImageResults.Add(usage, generation.Image.Usage);
                try
                {
                    var rendered = results.Render(command, generation.Image);
                    var generated = await results.StoreAsync(command, rendered, generation.Image, request.ImageSize, decodeAttempt, usage,
                        analysis, billedCalls, batched: false, lifetime.Token);
                    WorkerMetrics.ImageDone(context, "completed");
                    await publisher.PublishAsync(context, generated, lifetime.Token);
                    return;
                }
                catch (ImageProcessingException exception) when (decodeAttempt < DecodeAttempts)
                {
                    logger.LogWarning("Gemini returned an unusable image for {ItemId} of job {JobId} ({Reason}); asking again",
                        command.Item.ItemId, command.JobId, exception.Reason);
                }
            }
        }
        catch (SourceImageException exception)
        {
            await Fail(context, exception.Code, exception.Message, exception.IsTransient, calls, billedCalls);
        }
        catch (GeminiException exception)
        {
            await Fail(context, exception.ErrorCode, exception.Message, exception.IsTransient, calls + exception.Calls,
                billedCalls + exception.BilledCalls, analysis);
        }
        catch (ImageProcessingException exception)
        {
            await Fail(context, WorkerErrorCodes.InvalidImage, exception.Message, transient: false, calls, billedCalls, analysis);
        }
    }

    /// <summary>Step 1 of a staged item: the analysis model describes the source image; reported to the saga at once
    /// (<see cref="ImageStepCompleted"/>). Null when it failed, which fails the image (<c>ANALYSIS_…</c>) with no generation call.</summary>
    async Task<GeminiAnalysis?> AnalyseAsync(ConsumeContext<GenerateImage> context, SourceImage? source)
    {
        var command = context.Message;
        if (source is null)
        {
            await Fail(context, WorkerErrorCodes.AnalysisNoSource, "A staged item needs a source image to analyse.", transient: false, 0, 0);
            return null;
        }

        GeminiAnalysis analysis;
        try
        {
            analysis = await analyzer.AnalyseAsync(prompts.BuildAnalysis(command.Item), source.Bytes, source.MimeType, lifetime.Token);
        }
        catch (GeminiException exception)
        {
            await Fail(context, WorkerErrorCodes.Analysis(exception.ErrorCode), $"The analysis of the source image failed: {exception.Message}",
                exception.IsTransient, exception.Calls, exception.BilledCalls);
            return null;
        }

        await publisher.PublishAsync(context, new ImageStepCompleted(command.JobId, command.Item.ItemId, command.Attempt, analysis.Answer.Text,
            analysis.Answer.Model, analysis.Calls, analysis.BilledCalls, clock.GetUtcNow()), lifetime.Token);
        return analysis;
    }

    Task Fail(ConsumeContext<GenerateImage> context, string code, string message, bool transient, int calls, int billedCalls,
        GeminiAnalysis? analysis = null)
    {
        WorkerMetrics.ImageDone(context, code);
        return publisher.PublishAsync(context, results.Failure(context.Message, code, message, transient, calls, billedCalls, analysis), lifetime.Token);
    }
}
