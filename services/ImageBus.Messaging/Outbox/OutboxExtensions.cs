using ImageBus.Messaging.Scheduling;
using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace ImageBus.Messaging.Outbox;

public static class OutboxExtensions
{
    /// <summary>The transactional outbox on <c>scheduled_messages</c> (<see cref="TransactionalOutboxes"/>): the PostgreSQL saga
    /// repository then writes a saga's messages in its transaction, and code that opens its own transaction can publish into
    /// one. Also runs the dispatcher, so this process sends what it or a crashed instance left behind.</summary>
    public static IServiceCollection AddTransactionalOutbox(this IServiceCollection services)
    {
        services.AddScheduledMessageDispatcher();
        if (!services.Any(d => d.ServiceType == typeof(SentOutboxRows)))
        {
            services.AddSingleton<SentOutboxRows>();
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<SentOutboxRows>());
        }

        services.TryAddSingleton<TransactionalOutboxes>();
        services.AddFaultInjection();
        return services;
    }

    /// <summary>The test-only crash points (section <c>FaultInjection</c>), off unless configured.</summary>
    public static IServiceCollection AddFaultInjection(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(FaultInjection)))
        {
            return services;
        }

        services.AddValidatedOptions<FaultInjectionOptions>(FaultInjectionOptions.Section);
        services.AddSingleton<FaultInjection>();
        services.AddSingleton<IHostedService, FaultInjectionWarning>();
        return services;
    }

    sealed class FaultInjectionWarning(FaultInjection faults) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            faults.WarnIfEnabled();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
