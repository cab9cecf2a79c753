using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>Generates one image: skip it if the job was cancelled, fetch the source image if the item edits one (a URL or an upload),
/// Gemini → check and cover-resize → JPEG, WebP and thumbnail in the blob store → <see cref="ImageGenerated"/> with
/// the tokens and estimated cost. A failure Gemini, the source image or the image reports is answered with
/// <see cref="ImageGenerationFailed"/>; anything else is retried by the endpoint and then faulted.</summary>
public sealed class GenerateImageConsumer(
    GeminiImageGenerator gemini,
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
        try
        {
            var request = await BuildRequestAsync(command, context.CancellationToken);
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
                    var processed = images.Process(generation.Image.Bytes, command.Width, command.Height);
                    await Store(context, processed, generation.Image, request.ImageSize, decodeAttempt, usage, billedCalls);
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
                billedCalls + exception.BilledCalls);
        }
        catch (ImageProcessingException exception)
        {
            await Fail(context, WorkerErrorCodes.InvalidImage, exception.Message, transient: false, calls, billedCalls);
        }
    }

    /// <summary>Fetches the source image once per attempt: Gemini's retries and the decode retry reuse the request.</summary>
    async Task<GeminiImageRequest> BuildRequestAsync(GenerateImage command, CancellationToken ct)
    {
        var source = await sourceImages.FetchAsync(command.Item, ct);
        var model = command.Model ?? geminiOptions.Value.Model;
        return new GeminiImageRequest(
            prompts.Build(command.Item),
            command.Item.AspectRatio ?? AspectRatios.Square,
            command.Item.ImageSize ?? GeminiImageSize(model, Math.Max(command.Width, command.Height)),
            source?.Bytes,
            source?.MimeType,
            model);
    }

    async Task Store(
        ConsumeContext<GenerateImage> context, ProcessedImage processed, GeminiImage image, string? imageSize, int imagesBilled, GeminiUsage? usage,
        int billedCalls)
    {
        var command = context.Message;
        string Key(string variant) => BlobKeys.ForImage(command.TenantId, command.JobId, command.Item.ItemId, command.Attempt, variant);

        // Fixed keys per attempt: a redelivered command overwrites its own files, never adds copies.
        var imageKey = Key(ImageVariants.Full.FileName);
        await blobs.PutAsync(Key(ImageVariants.Webp.FileName), processed.Webp.Bytes, processed.Webp.ContentType, context.CancellationToken);
        await blobs.PutAsync(Key(ImageVariants.Thumb.FileName), processed.Thumbnail.Bytes, processed.Thumbnail.ContentType, context.CancellationToken);
        await blobs.PutAsync(imageKey, processed.Jpeg.Bytes, processed.Jpeg.ContentType, context.CancellationToken);

        // Prices are configured under the model name we called; Gemini's answer may name a more precise version.
        var cost = costs.EstimateUsd(image.Model, imagesBilled, usage, imageSize);
        logger.LogInformation("Stored {ItemId} of job {JobId} ({Width}x{Height}, {Bytes} bytes, {TotalTokens} tokens, {CostUsd} USD) at {Location}",
            command.Item.ItemId, command.JobId, processed.Jpeg.Width, processed.Jpeg.Height, processed.Jpeg.Bytes.Length,
            usage?.TotalTokenCount, cost, blobs.Describe(imageKey));
        WorkerMetrics.ImageDone(context, "completed");
        await context.Publish(new ImageGenerated(
            command.JobId, command.Item.ItemId, command.Attempt, imageKey, processed.Jpeg.Width, processed.Jpeg.Height,
            processed.Jpeg.Bytes.Length, image.ModelVersion is { Length: > 0 } ? image.ModelVersion : image.Model, clock.GetUtcNow(),
            usage?.PromptTokenCount, usage?.CandidatesTokenCount, usage?.TotalTokenCount, cost, billedCalls));
    }

    Task Fail(ConsumeContext<GenerateImage> context, string code, string message, bool transient, int calls, int billedCalls)
    {
        var command = context.Message;
        logger.LogWarning("Giving up on {ItemId} of job {JobId} after {Calls} Gemini calls: {ErrorCode} {Error}",
            command.Item.ItemId, command.JobId, calls, code, message);
        WorkerMetrics.ImageDone(context, code);
        return context.Publish(new ImageGenerationFailed(
            command.JobId, command.Item.ItemId, command.Attempt, code, message, transient, calls, clock.GetUtcNow(), billedCalls));
    }

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
