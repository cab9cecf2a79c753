using ImageBus.FakeGemini;
using Microsoft.AspNetCore.Builder;

namespace ImageBus.Worker.Tests;

/// <summary>The real FakeGemini hosted in-process on a free loopback port, without latency unless asked.</summary>
public static class FakeGeminiHost
{
    public const string ApiKey = "worker-test-key";

    public static async Task<WebApplication> StartAsync(params string[] settings)
    {
        var app = FakeGeminiApp.Create([
            "--urls=http://127.0.0.1:0",
            $"--FakeGemini:ApiKey={ApiKey}",
            "--FakeGemini:LatencyMs=0",
            "--FakeGemini:LatencyJitterMs=0",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ]);
        await app.StartAsync();
        return app;
    }
}
