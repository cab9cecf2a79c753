using System.Net.Http.Json;
using ImageBus.Contracts;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Webhooks;

/// <summary>A subscriber answered with something other than 2xx, or not in time.</summary>
public sealed class WebhookDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Turns job events into webhook payloads and POSTs them.</summary>
public sealed class WebhookSender(HttpClient http, IOptions<WebhookOptions> options, ILogger<WebhookSender> logger)
{
    public static WebhookPayload ToPayload(string type, IJobEvent jobEvent, Func<ImageResult, WebhookImage> image)
    {
        var job = jobEvent.Job;
        var data = new WebhookData(job.JobId, job.TenantId, job.CaseId, job.Status, job.Sequence, job.Counts);
        data = jobEvent switch
        {
            JobProgressed progressed => data with { Image = image(progressed.Image) },
            JobCompleted completed => data with { Images = completed.Images.Select(image).ToList() },
            JobPartiallyCompleted partial => data with { Images = partial.Images.Select(image).ToList() },
            JobFailed failed => data with { Images = failed.Images.Select(image).ToList(), Reason = failed.Reason },
            _ => data,
        };
        return new WebhookPayload(type, job.Timestamp, data);
    }

    public WebhookImage ToWebhookImage(Guid jobId, ImageResult result) => new(
        result.ItemId, result.Kind, result.Status, result.Attempt,
        result.Status == ImageStatuses.Completed
            ? $"{options.Value.GatewayBaseUrl.TrimEnd('/')}/v1/jobs/{jobId}/images/{Uri.EscapeDataString(result.ItemId)}"
            : null,
        result.Width, result.Height, result.ErrorCode, result.Error);

    public async Task SendAsync(string url, WebhookPayload payload, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(url, payload, timeout.Token);
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new WebhookDeliveryException($"POST {payload.Type} to the webhook failed: {exception.Message}", exception);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new WebhookDeliveryException($"the webhook answered {(int)response.StatusCode} to {payload.Type}");
            }
        }

        logger.LogInformation("Delivered {EventType} #{Sequence} of job {JobId} to its webhook",
            payload.Type, payload.Data.Sequence, payload.Data.JobId);
    }
}
