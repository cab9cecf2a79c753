using ImageBus.Gateway;
using ImageBus.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddGateway(builder.Configuration);

var app = builder.Build();
app.MapGateway();
app.Run();
