using System.Net.Http.Headers;
using System.Text;
using ImageBus.Messaging;
using ImageBus.Operations.DeadLetters;
using ImageBus.Persistence;
using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Operations;

public static class OperationsExtensions
{
    /// <summary>The dead-letter tables and store, the management API client, and (unless <c>DeadLetters:Collect</c> is
    /// off) the collector that fills the tables from every <c>_error</c> queue.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddOwnedDbContext<OperationsDbContext>(OwnedSchema.Of<OperationsDbContext>());
        services.AddValidatedOptions<DeadLetterOptions>(DeadLetterOptions.Section);
        services.AddHttpClient<BrokerManagement>((provider, http) =>
        {
            var rabbit = provider.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
            http.BaseAddress = new Uri(rabbit.ManagementUrl.EndsWith('/') ? rabbit.ManagementUrl : $"{rabbit.ManagementUrl}/");
            http.Timeout = TimeSpan.FromSeconds(10);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rabbit.Username}:{rabbit.Password}")));
        });
        services.AddSingleton<DeadLetterStore>();
        services.AddHostedService<DeadLetterCollector>();
        return services;
    }
}
