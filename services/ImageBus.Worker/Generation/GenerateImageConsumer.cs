using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>Generates one image: skip it if the job was cancelled, fetch the source image if the item edits one (a URL or an upload),
/// Gemini → check and cover-resize → JPEG, WebP and thumbnail in the blob store → <see cref="ImageGenerated"/> with
/// the tokens and estimated cost. A staged item first has Gemini analyse its source image in text (step 1, reported with
/// <see cref="ImageStepCompleted"/>), then generates from that analysis (step 2); both steps' calls count in the result. A
/// failure Gemini, the source image or the image reports is answered with <see cref="ImageGenerationFailed"/> (a step-1
/// failure with an <see cref="WorkerErrorCodes.AnalysisPrefix"/> code, and no generation call); anything else is retried by
/// the endpoint and then faulted.</summary>
public sealed class GenerateImageConsumer(
    GeminiImageGenerator gemini,
    GeminiImageAnalyzer analyzer,
    IImageProcessor images,
    IBlobStore blobs,
    PromptBuilder prompts,
    SourceImageFetcher sourceImages,
    JobCancellationCheck cancellations,
    GeminiCostEstimator costs,
    IOptions<GeminiOptions> geminiOptions,
    TimeProvider clock,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    /// <summary>A 200 whose bytes do not decode is asked for once more, then given up.</summary>
    const int DecodeAttempts = 2;

    /// <summary>The long edge of Gemini's 1K size, the smallest one sent unasked.</summary>
    const int OneKLongEdge = 1024;

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        if (await cancellations.IsCancelledAsync(command.JobId, context.CancellationToken))
        {
            await Fail(context, WorkerErrorCodes.Cancelled, "The job was cancelled before this image was generated.", transient: false, calls: 0, billedCalls: 0);
            return;
        }

        var calls = 0;
        var billedCalls = 0;
        GeminiAnalysis? analysis = null;
        try
        {
            var source = await sourceImages.FetchAsync(command.Item, context.CancellationToken);
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
                if (await cancellations.IsCancelledAsync(command.JobId, context.CancellationToken))
                {
                    await Fail(context, WorkerErrorCodes.Cancelled, "The job was cancelled before this image was generated.", transient: false, calls, billedCalls,
                        analysis);
                    return;
                }

                prompt = prompts.BuildGeneration(command.Item, analysis.Answer.Text);
            }

            var request = BuildRequest(command, prompt, source);
            GeminiUsage? usage = null;
            for (var decodeAttempt = 1; ; decodeAttempt++)
            {
                var generation = await gemini.GenerateAsync(request, context.CancellationToken);
                calls += generation.Calls;
                billedCalls += generation.BilledCalls;
                // Every image Gemini returned is billed, the undecodable one included.
                usage = Add(usage, generation.Image.Usage);
                try
                {
                    var rendered = images.Render(generation.Image.Bytes, command.Width, command.Height);
                    await Store(context, rendered, generation.Image, request.ImageSize, decodeAttempt, usage, analysis, billedCalls);
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
            analysis = await analyzer.AnalyseAsync(prompts.BuildAnalysis(command.Item), source.Bytes, source.MimeType, context.CancellationToken);
        }
        catch (GeminiException exception)
        {
            await Fail(context, WorkerErrorCodes.Analysis(exception.ErrorCode), $"The analysis of the source image failed: {exception.Message}",
                exception.IsTransient, exception.Calls, exception.BilledCalls);
            return null;
        }

        await context.Publish(new ImageStepCompleted(command.JobId, command.Item.ItemId, command.Attempt, analysis.Answer.Text,
            analysis.Answer.Model, analysis.Calls, analysis.BilledCalls, clock.GetUtcNow()));
        return analysis;
    }

    /// <summary>The source image is fetched once per attempt: Gemini's retries, the decode retry and a staged item's two steps
    /// reuse it.</summary>
    GeminiImageRequest BuildRequest(GenerateImage command, string prompt, SourceImage? source)
    {
        var model = command.Model ?? geminiOptions.Value.Model;
        return new GeminiImageRequest(
            prompt,
            command.Item.AspectRatio ?? AspectRatios.Square,
            command.Item.ImageSize ?? GeminiImageSize(model, Math.Max(command.Width, command.Height)),
            source?.Bytes,
            source?.MimeType,
            model);
    }

    async Task Store(
        ConsumeContext<GenerateImage> context, EncodedImage rendered, GeminiImage image, string? imageSize, int imagesBilled, GeminiUsage? usage,
        GeminiAnalysis? analysis, int billedCalls)
    {
        var command = context.Message;
        string Key(string variant) => BlobKeys.ForImage(command.TenantId, command.JobId, command.Item.ItemId, command.Attempt, variant);

        // Fixed keys per attempt: a redelivered command overwrites its own file, never adds copies. Only the JPEG is on the
        // image's way to done; the gateway makes the WebP and the thumbnail from it when they are first asked for.
        var imageKey = Key("image.jpg");
        await blobs.PutAsync(imageKey, rendered.Bytes, rendered.ContentType, context.CancellationToken);

        // Prices are configured under the model name we called; Gemini's answer may name a more precise version. A staged
        // item's analysis is priced by its text model and added; its tokens count in the image's.
        var cost = Sum(costs.EstimateUsd(image.Model, imagesBilled, usage, imageSize),
            analysis is null ? null : costs.EstimateUsd(analysis.Answer.Model, 0, analysis.Answer.Usage));
        usage = Add(usage, analysis?.Answer.Usage);
        logger.LogInformation("Stored {ItemId} of job {JobId} ({Width}x{Height}, {Bytes} bytes, {TotalTokens} tokens, {CostUsd} USD) at {Location}",
            command.Item.ItemId, command.JobId, rendered.Width, rendered.Height, rendered.Bytes.Length,
            usage?.TotalTokenCount, cost, blobs.Describe(imageKey));
        WorkerMetrics.ImageDone(context, "completed");
        await context.Publish(new ImageGenerated(
            command.JobId, command.Item.ItemId, command.Attempt, imageKey, rendered.Width, rendered.Height,
            rendered.Bytes.Length, image.ModelVersion is { Length: > 0 } ? image.ModelVersion : image.Model, clock.GetUtcNow(),
            usage?.PromptTokenCount, usage?.CandidatesTokenCount, usage?.TotalTokenCount, cost, billedCalls, analysis?.Answer.Text));
    }

    Task Fail(ConsumeContext<GenerateImage> context, string code, string message, bool transient, int calls, int billedCalls,
        GeminiAnalysis? analysis = null)
    {
        var command = context.Message;
        logger.LogWarning("Giving up on {ItemId} of job {JobId} after {Calls} Gemini calls: {ErrorCode} {Error}",
            command.Item.ItemId, command.JobId, calls, code, message);
        WorkerMetrics.ImageDone(context, code);
        return context.Publish(new ImageGenerationFailed(
            command.JobId, command.Item.ItemId, command.Attempt, code, message, transient, calls, clock.GetUtcNow(), billedCalls,
            analysis?.Answer.Text));
    }

    static decimal? Sum(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    static GeminiUsage? Add(GeminiUsage? total, GeminiUsage? call) => (total, call) switch
    {
        (null, _) => call,
        (_, null) => total,
        _ => new GeminiUsage(
            total.PromptTokenCount + call.PromptTokenCount,
            total.CandidatesTokenCount + call.CandidatesTokenCount,
            total.TotalTokenCount + call.TotalTokenCount),
    };

    /// <summary>For an item that asks no tier: the smallest of the model's sizes from 1K up whose long edge covers the
    /// output's. The 512 tier only when an item asks for it, as before items had tiers.</summary>
    static string GeminiImageSize(string model, int longEdge) =>
        GeminiImageModels.RulesOf(model).SmallestSizeCovering(Math.Max(longEdge, OneKLongEdge));
}
