using System.Diagnostics;
using System.Net;
using System.Text;
using ImageBus.Http;
using ImageBus.Webhooks;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Webhooks;

/// <summary>What one POST came to: a status code when the endpoint answered, an error when it did not.</summary>
public sealed record PostOutcome(int? StatusCode, string? Error, TimeSpan Duration, TimeSpan? RetryAfter)
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

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var answer = await ReadCappedAsync(response.Content, timeout.Token);
            var code = (int)response.StatusCode;
            return new PostOutcome(code, response.IsSuccessStatusCode ? null : Describe(response.StatusCode, answer),
                Stopwatch.GetElapsedTime(started), RetryAfterOf(response));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PostOutcome(null, $"no answer within {options.Value.Timeout.TotalSeconds:0.#} s", Stopwatch.GetElapsedTime(started), null);
        }
        catch (HttpRequestException exception)
        {
            // The guard's refusal arrives wrapped; its own message says more than the wrapper's.
            var reason = exception.InnerException is OutboundAddressRefusedException refused ? refused.Message : exception.Message;
            return new PostOutcome(null, reason, Stopwatch.GetElapsedTime(started), null);
        }
    }

    static async Task<string> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxResponseBytes];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, filled);
    }

    static string Describe(HttpStatusCode status, string answer)
    {
        var excerpt = answer.Length > 200 ? answer[..200] : answer;
        return excerpt.Length == 0 ? $"answered {(int)status}" : $"answered {(int)status}: {excerpt}";
    }

    TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - clock.GetUtcNow(),
        _ => null,
    };
}
