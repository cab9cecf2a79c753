using System.Net.Http.Headers;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>One event of <c>GET /v1/jobs/{id}/events</c> as an EventSource parses it.</summary>
sealed record StreamedEvent(string Id, string Type, string Data);

/// <summary><c>GET /v1/jobs/{id}/events</c> as a Server-Sent Events client reads it.</summary>
static class EventStream
{
    /// <summary>Reads the stream until the server ends it, as an EventSource would parse it.</summary>
    public static async Task<List<StreamedEvent>> ReadAsync(HttpClient gateway, Guid jobId, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var events = new List<StreamedEvent>();
        string? id = null, type = null, data = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    events.Add(new StreamedEvent(id!, type!, data));
                }

                (id, type, data) = (null, null, null);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        return events;
    }
}
