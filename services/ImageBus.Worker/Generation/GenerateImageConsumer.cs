using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.ServiceDefaults.Storage;
using MassTransit;

namespace ImageBus.Worker.Generation;

/// <summary>Generates one image: Gemini → check and cover-resize → JPEG, WebP and thumbnail in the
/// blob store → <see cref="ImageGenerated"/>. A failure Gemini or the image reports is answered with
/// <see cref="ImageGenerationFailed"/>; anything else is retried by the endpoint and then faulted.</summary>
public sealed class GenerateImageConsumer(
    GeminiImageGenerator gemini,
    IImageProcessor images,
    IBlobStore blobs,
    PromptBuilder prompts,
    TimeProvider clock,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    /// <summary>A 200 whose bytes do not decode is asked for once more, then given up.</summary>
    const int DecodeAttempts = 2;

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        var request = new GeminiImageRequest(
            prompts.Build(command.Item),
            command.Item.AspectRatio ?? AspectRatios.Square,
            GeminiImageSize(Math.Max(command.Width, command.Height)));
        var calls = 0;
        try
        {
            for (var decodeAttempt = 1; ; decodeAttempt++)
            {
                var generation = await gemini.GenerateAsync(request, context.CancellationToken);
                calls += generation.Calls;
                try
                {
                    var processed = images.Process(generation.Image.Bytes, command.Width, command.Height);
                    await Store(context, processed, generation.Image.ModelVersion);
                    return;
                }
                catch (ImageProcessingException exception) when (decodeAttempt < DecodeAttempts)
                {
                    logger.LogWarning("Gemini returned an unusable image for {ItemId} of job {JobId} ({Reason}); asking again",
                        command.Item.ItemId, command.JobId, exception.Reason);
                }
            }
        }
        catch (GeminiException exception)
        {
            await Fail(context, exception.ErrorCode, exception.Message, exception.IsTransient, calls + exception.Calls);
        }
        catch (ImageProcessingException exception)
        {
            await Fail(context, "INVALID_IMAGE", exception.Message, transient: false, calls);
        }
    }

    async Task Store(ConsumeContext<GenerateImage> context, ProcessedImage processed, string model)
    {
        var command = context.Message;
        string Key(string variant) => BlobKeys.ForImage(command.TenantId, command.JobId, command.Item.ItemId, command.Attempt, variant);

        // Fixed keys per attempt: a redelivered command overwrites its own files, never adds copies.
        var imageKey = Key("image.jpg");
        await blobs.PutAsync(Key("image.webp"), processed.Webp.Bytes, processed.Webp.ContentType, context.CancellationToken);
        await blobs.PutAsync(Key("thumbnail.jpg"), processed.Thumbnail.Bytes, processed.Thumbnail.ContentType, context.CancellationToken);
        await blobs.PutAsync(imageKey, processed.Jpeg.Bytes, processed.Jpeg.ContentType, context.CancellationToken);

        logger.LogInformation("Stored {ItemId} of job {JobId} ({Width}x{Height}, {Bytes} bytes) at {Location}",
            command.Item.ItemId, command.JobId, processed.Jpeg.Width, processed.Jpeg.Height, processed.Jpeg.Bytes.Length, blobs.Describe(imageKey));
        await context.Publish(new ImageGenerated(
            command.JobId, command.Item.ItemId, command.Attempt, imageKey, processed.Jpeg.Width, processed.Jpeg.Height,
            processed.Jpeg.Bytes.Length, model, clock.GetUtcNow()));
    }

    Task Fail(ConsumeContext<GenerateImage> context, string code, string message, bool transient, int calls)
    {
        var command = context.Message;
        logger.LogWarning("Giving up on {ItemId} of job {JobId} after {Calls} Gemini calls: {ErrorCode} {Error}",
            command.Item.ItemId, command.JobId, calls, code, message);
        return context.Publish(new ImageGenerationFailed(
            command.JobId, command.Item.ItemId, command.Attempt, code, message, transient, calls, clock.GetUtcNow()));
    }

    /// <summary>The smallest Gemini image size whose long edge covers the requested one.</summary>
    static string GeminiImageSize(int longEdge) => longEdge switch
    {
        <= 1024 => "1K",
        <= 2048 => "2K",
        _ => "4K",
    };
}
