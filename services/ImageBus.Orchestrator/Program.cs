using ImageBus.Orchestrator;
using ImageBus.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddOrchestrator(builder.Configuration);
var app = builder.Build();
app.MapServiceEndpoints();
app.Run();
