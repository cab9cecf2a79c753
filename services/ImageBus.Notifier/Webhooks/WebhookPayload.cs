using System.Text.Json;
using System.Text.Json.Serialization;
using ImageBus.Contracts;
using ImageBus.Tenants;
using ImageBus.Webhooks;

namespace ImageBus.Notifier.Webhooks;

/// <summary>What a subscriber receives: <c>{type, timestamp, data}</c> (<c>data.analysis</c> with <c>image.step_completed</c>). The same JSON is the event
/// stream's <c>data:</c> line.</summary>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, WebhookData Data)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="urls">Signs the image links, so subscribers fetch them without an API key.</param>
    public static WebhookPayload For(IJobEvent jobEvent, string gatewayBaseUrl, ImageUrls urls)
    {
        var job = jobEvent.Job;
        WebhookImage Image(ImageResult result) => WebhookImage.For(job.JobId, result, gatewayBaseUrl, urls);
        var data = new WebhookData(job.JobId, job.TenantId, job.CaseId, job.Status, job.Sequence, job.Counts, job.Billing, job.EstimatedCostUsd);
        data = jobEvent switch
        {
            JobProgressed progressed => data with { Image = Image(progressed.Image) },
            JobImageStepCompleted step => data with { Image = Image(step.Image), Analysis = step.Analysis },
            JobCompleted completed => data with { Images = completed.Images.Select(Image).ToList() },
            JobPartiallyCompleted partial => data with { Images = partial.Images.Select(Image).ToList() },
            JobFailed failed => data with { Images = failed.Images.Select(Image).ToList(), Reason = failed.Reason },
            JobCancelled cancelled => data with { Images = cancelled.Images.Select(Image).ToList(), Reason = cancelled.Reason },
            JobRetried retried => data with { RetriedItemIds = retried.ItemIds },
            _ => data,
        };
        return new WebhookPayload(WebhookEventTypes.For(jobEvent), job.Timestamp, data);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

public sealed record WebhookData(
    Guid JobId,
    string TenantId,
    string CaseId,
    string Status,
    long Sequence,
    JobCounts Counts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobBilling? Billing = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? EstimatedCostUsd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WebhookImage? Image = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WebhookImage>? Images = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? RetriedItemIds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Analysis = null);

/// <summary>One image's result, with the signed gateway URL it can be fetched from once completed.</summary>
public sealed record WebhookImage(
    string ItemId,
    string Kind,
    string Status,
    int Attempt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    int? Width,
    int? Height,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Billed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Step = null)
{
    public static WebhookImage For(Guid jobId, ImageResult result, string gatewayBaseUrl, ImageUrls urls) => new(
        result.ItemId, result.Kind, result.Status, result.Attempt,
        result.Status == ImageStatuses.Completed
            ? gatewayBaseUrl.TrimEnd('/') + urls.For(jobId, result.ItemId)
            : null,
        result.Width, result.Height, result.ErrorCode, result.Error, result.Billed, result.Step);
}
