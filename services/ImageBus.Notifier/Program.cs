using ImageBus.Notifier;
using ImageBus.ServiceDefaults;

var builder = Host.CreateApplicationBuilder(args);
builder.AddImageBusLogging();
builder.Services.AddNotifier(builder.Configuration);
builder.Build().Run();
