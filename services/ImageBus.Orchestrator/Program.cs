using ImageBus.Orchestrator;
using ImageBus.ServiceDefaults;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddOrchestrator(builder.Configuration);
builder.Build().Run();
