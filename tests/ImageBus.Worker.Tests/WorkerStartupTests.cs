using ImageBus.Testing;
using Microsoft.AspNetCore.Builder;

namespace ImageBus.Worker.Tests;

/// <summary>The worker process refuses to start on a wrong model or key, by itself, with one line saying what to set.</summary>
public sealed class WorkerStartupTests : IAsyncLifetime
{
    private WebApplication fake = null!;

    public async Task InitializeAsync() => fake = await FakeGeminiHost.StartAsync();

    public async Task DisposeAsync() => await fake.DisposeAsync();

    [Fact]
    public async Task An_unknown_model_stops_the_worker_naming_the_model_and_the_setting()
    {
        var line = await RunWorkerUntilItExitsAsync(("Gemini__Model", "no-such-model"), ("Gemini__ApiKey", FakeGeminiHost.ApiKey));

        Assert.Contains("'no-such-model' does not exist", line, StringComparison.Ordinal);
        Assert.Contains("set Gemini:Model from the image models this key can use: gemini-3.1-flash-image", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_key_stops_the_worker_naming_the_setting_not_the_key()
    {
        var line = await RunWorkerUntilItExitsAsync(("Gemini__ApiKey", "wrong-key-Zr81"));

        Assert.Contains("Gemini rejected the API key: set Gemini:ApiKey or GEMINI_API_KEY", line, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-Zr81", line, StringComparison.Ordinal);
    }

    /// <summary>Runs the built worker against the fake (and no broker or database: it must stop before either) and
    /// returns the single line it printed.</summary>
    private async Task<string> RunWorkerUntilItExitsAsync(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Gemini__BaseUrl"] = fake.Urls.Single(),
            ["ConnectionStrings__ImageBus"] = TestServers.PostgresConnectionString("imagebus_never_used"),
            ["RabbitMq__Port"] = TestServers.AmqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        // It gives up by itself: a worker that went on to the broker or the database would print more than one line.
        await using var worker = ServiceProcess.Start("Worker", environment);
        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        return Assert.Single(worker.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
