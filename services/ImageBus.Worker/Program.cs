using ImageBus.Gemini;
using ImageBus.ServiceDefaults;
using ImageBus.Worker;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddWorker(builder.Configuration);
await using var host = builder.Build();
host.MapServiceEndpoints();
try
{
    // Before the host starts anything: a worker with a bad setting, key or model must not take commands off
    // the queue, and says what to fix in one line rather than a stack trace.
    host.Services.GetRequiredService<IStartupValidator>().Validate();
    await host.Services.EnsureGeminiUsableAsync(CancellationToken.None);
}
catch (Exception ex) when (ex is GeminiConfigurationException or OptionsValidationException)
{
    await Console.Error.WriteLineAsync($"ImageBus.Worker cannot start: {ex.Message}");
    return 2;
}

await host.RunAsync();
return 0;
