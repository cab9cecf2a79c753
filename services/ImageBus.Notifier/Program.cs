using ImageBus.Notifier;
using ImageBus.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddNotifier(builder.Configuration);
var app = builder.Build();
app.MapServiceEndpoints();
app.Run();
