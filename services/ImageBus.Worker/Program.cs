using ImageBus.ServiceDefaults.Hosting;
using ImageBus.Worker;

var builder = Host.CreateApplicationBuilder(args);
builder.AddImageBusLogging();
builder.Services.AddWorker(builder.Configuration);
builder.Build().Run();
