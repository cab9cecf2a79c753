using System.Diagnostics;
using System.Net;
using System.Text;
using ImageBus.Http;
using ImageBus.Webhooks;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Webhooks;

/// <summary>What one POST came to: a status code when the endpoint answered, an error when it did not.</summary>
/// <param name="Refused">The address guard refused the URL: asking again will not change that.</param>
public sealed record PostOutcome(int? StatusCode, string? Error, TimeSpan Duration, TimeSpan? RetryAfter, bool Refused = false)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>POSTs one signed webhook (Standard Webhooks headers). Redirects are not followed, connections
/// go only to addresses <see cref="OutboundAddressGuard"/> allows (see <see cref="NotifierExtensions"/>),
/// and at most <see cref="MaxResponseBytes"/> of an answer are read.</summary>
public sealed class WebhookPoster(HttpClient http, IOptions<WebhookDeliveryOptions> options, TimeProvider clock)
{
    public const int MaxResponseBytes = 4096;

    public async Task<PostOutcome> PostAsync(
        string url, string webhookId, string body, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", webhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (secrets.Count > 0)
        {
            request.Headers.Add("webhook-signature", WebhookSecrets.SignatureHeader(secrets, webhookId, timestamp, body));
        }

        using var deadline = CallDeadline.Start(options.Value.Timeout, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var answer = Encoding.UTF8.GetString(await HttpBodies.ReadPrefixAsync(response.Content, MaxResponseBytes, deadline.Token));
            var code = (int)response.StatusCode;
            return new PostOutcome(code, response.IsSuccessStatusCode ? null : Describe(response.StatusCode, answer),
                Stopwatch.GetElapsedTime(started), RetryAfter.Of(response, clock));
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return new PostOutcome(null, $"no answer within {options.Value.Timeout.TotalSeconds:0.#} s", Stopwatch.GetElapsedTime(started), null);
        }
        catch (HttpRequestException exception)
        {
            // The guard's refusal arrives wrapped; its own message says more than the wrapper's.
            return exception.InnerException is OutboundAddressRefusedException refused
                ? new PostOutcome(null, refused.Message, Stopwatch.GetElapsedTime(started), null, Refused: true)
                : new PostOutcome(null, exception.Message, Stopwatch.GetElapsedTime(started), null);
        }
    }

    static string Describe(HttpStatusCode status, string answer)
    {
        var excerpt = answer.Length > 200 ? answer[..200] : answer;
        return excerpt.Length == 0 ? $"answered {(int)status}" : $"answered {(int)status}: {excerpt}";
    }
}
