using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Storage;

namespace ImageBus.Worker.Generation;

/// <summary>What Gemini made of one image, as the worker reports it: a live call's image and a batch's result are stored,
/// priced and reported the same way (a batched one at the batch price).</summary>
public sealed class ImageResults(
    IImageProcessor images,
    IBlobStore blobs,
    GeminiCostEstimator costs,
    TimeProvider clock,
    ILogger<ImageResults> logger)
{
    /// <summary>Cover-resizes Gemini's image to the command's size, as a JPEG.</summary>
    /// <exception cref="ImageProcessingException">The bytes are no usable image.</exception>
    public EncodedImage Render(GenerateImage command, GeminiImage image) => images.Render(image.Bytes, command.Width, command.Height);

    /// <summary>Stores the rendered JPEG under the attempt's fixed key (a redelivered command overwrites its own file, never
    /// adds copies) and builds its <see cref="ImageGenerated"/>. Only the JPEG is on the image's way to done; the gateway makes
    /// the WebP and the thumbnail from it when they are first asked for.</summary>
    /// <param name="imagesBilled">Images Gemini returned for this attempt, the undecodable ones included.</param>
    public async Task<ImageGenerated> StoreAsync(
        GenerateImage command, EncodedImage rendered, GeminiImage image, string? imageSize, int imagesBilled, GeminiUsage? usage,
        GeminiAnalysis? analysis, int billedCalls, bool batched, CancellationToken ct)
    {
        var imageKey = BlobKeys.ForImage(command.TenantId, command.JobId, command.Item.ItemId, command.Attempt, ImageVariants.Full.FileName);
        await blobs.PutAsync(imageKey, rendered.Bytes, rendered.ContentType, ct);

        // Prices are configured under the model name we called; Gemini's answer may name a more precise version. A staged
        // item's analysis is priced by its text model and added; its tokens count in the image's.
        var cost = Sum(costs.EstimateUsd(image.Model, imagesBilled, usage, imageSize, batched),
            analysis is null ? null : costs.EstimateUsd(analysis.Answer.Model, 0, analysis.Answer.Usage));
        usage = Add(usage, analysis?.Answer.Usage);
        logger.LogInformation("Stored {ItemId} of job {JobId} ({Width}x{Height}, {Bytes} bytes, {TotalTokens} tokens, {CostUsd} USD, batched {Batched}) at {Location}",
            command.Item.ItemId, command.JobId, rendered.Width, rendered.Height, rendered.Bytes.Length,
            usage?.TotalTokenCount, cost, batched, blobs.Describe(imageKey));
        return new ImageGenerated(
            command.JobId, command.Item.ItemId, command.Attempt, imageKey, rendered.Width, rendered.Height,
            rendered.Bytes.Length, image.ModelVersion is { Length: > 0 } ? image.ModelVersion : image.Model, clock.GetUtcNow(),
            usage?.PromptTokenCount, usage?.CandidatesTokenCount, usage?.TotalTokenCount, cost, billedCalls, analysis?.Answer.Text);
    }

    /// <summary>The image's failure, logged.</summary>
    public ImageGenerationFailed Failure(GenerateImage command, string code, string message, bool transient, int calls, int billedCalls,
        GeminiAnalysis? analysis = null)
    {
        logger.LogWarning("Giving up on {ItemId} of job {JobId} after {Calls} Gemini calls: {ErrorCode} {Error}",
            command.Item.ItemId, command.JobId, calls, code, message);
        return new ImageGenerationFailed(
            command.JobId, command.Item.ItemId, command.Attempt, code, message, transient, calls, clock.GetUtcNow(), billedCalls,
            analysis?.Answer.Text);
    }

    /// <summary>Usage summed over calls.</summary>
    public static GeminiUsage? Add(GeminiUsage? total, GeminiUsage? call) => (total, call) switch
    {
        (null, _) => call,
        (_, null) => total,
        _ => new GeminiUsage(
            total.PromptTokenCount + call.PromptTokenCount,
            total.CandidatesTokenCount + call.CandidatesTokenCount,
            total.TotalTokenCount + call.TotalTokenCount),
    };

    static decimal? Sum(decimal? a, decimal? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}
