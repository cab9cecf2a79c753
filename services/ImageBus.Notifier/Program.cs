using ImageBus.Notifier;
using ImageBus.ServiceDefaults;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddNotifier(builder.Configuration);
builder.Build().Run();
