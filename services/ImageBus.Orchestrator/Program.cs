using ImageBus.Orchestrator;
using ImageBus.ServiceDefaults;

var builder = Host.CreateApplicationBuilder(args);
builder.AddImageBusLogging();
builder.Services.AddOrchestrator(builder.Configuration);
builder.Build().Run();
