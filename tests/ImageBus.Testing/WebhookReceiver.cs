using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageBus.Testing;

/// <summary>A received webhook POST: its headers and its JSON body.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset ReceivedAt)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public string Type => Json.GetProperty("type").GetString()!;
    public Guid JobId => Json.GetProperty("data").GetProperty("jobId").GetGuid();
    public long Sequence => Json.GetProperty("data").GetProperty("sequence").GetInt64();
}

/// <summary>A real HTTP server on a loopback port that records every POST it gets. What it answers
/// can be changed while a test runs (<see cref="Respond"/>), to play a failing subscriber.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<ReceivedWebhook> received = new();
    volatile Func<HttpContext, Task<int>> respond = _ => Task.FromResult(StatusCodes.Status200OK);

    WebhookReceiver(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    /// <summary>The URL to give as a webhook.</summary>
    public string Url { get; }

    public IReadOnlyList<ReceivedWebhook> Received => received.ToArray();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hooks");
        app.MapPost("/hooks", receiver.Handle);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Sets what the receiver answers from now on (a status code, after any delay the function takes).</summary>
    public void Respond(Func<HttpContext, Task<int>> answer) => respond = answer;

    /// <summary>Waits until a received POST matches, or fails the wait after the timeout.</summary>
    public async Task<ReceivedWebhook> WaitForAsync(Func<ReceivedWebhook, bool> match, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var found = received.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching webhook within {timeout}; got: {string.Join(", ", received.Select(r => r.Type))}");
    }

    async Task Handle(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var status = await respond(context);
        if (status is >= 200 and < 300)
        {
            received.Enqueue(new ReceivedWebhook(
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, DateTimeOffset.UtcNow));
        }

        context.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
