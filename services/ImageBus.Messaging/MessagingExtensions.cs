using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ImageBus.ServiceDefaults;
using Microsoft.Extensions.Options;
using MassTransit.Logging;
using MassTransit.Monitoring;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ImageBus.Messaging;

/// <summary>The bus every ImageBus service runs: RabbitMQ, kebab-case endpoint names, quorum queues.</summary>
public static class MessagingExtensions
{
    public static IServiceCollection AddImageBusMessaging(
        this IServiceCollection services,
        Action<IBusRegistrationConfigurator> registerConsumers)
    {
        services.AddValidatedOptions<RabbitMqOptions>(RabbitMqOptions.Section);
        // MassTransit's spans carry the trace from a request through every message it causes; its bus health check is
        // tagged "ready" by MassTransit itself.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(DiagnosticHeaders.DefaultListenerName));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(InstrumentationOptions.MeterName));
        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.DisableUsageTelemetry();
            registerConsumers(bus);
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                if (options.QuorumQueues && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.SetQuorumQueue();
                }
            });
            bus.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(options.Host, (ushort)options.Port, options.VirtualHost, h =>
                {
                    h.Username(options.Username);
                    h.Password(options.Password);
                    // Each connection (and each reconnection) goes to the next node, so the bus moves off a node that fails.
                    if (options.ClusterNodes.Count > 0)
                    {
                        h.UseCluster(cluster => options.ClusterNodes.ForEach(cluster.Node));
                    }
                });
                cfg.UseConsumeFilter(typeof(JobLogContextFilter<>), context);
                // Not scoped filters: the in-memory outbox sends after the consume scope is gone.
                cfg.ConfigureSend(send => send.UseSendExecute(TenantHeader.Stamp));
                cfg.ConfigurePublish(publish => publish.UseExecute(TenantHeader.Stamp));
                cfg.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>Makes sure a command queue this service sends to exists before its bus starts.</summary>
    public static IServiceCollection AddCommandQueue(this IServiceCollection services, string queueName)
    {
        services.AddSingleton<IHostedService>(provider =>
            new CommandQueueTopology(provider.GetRequiredService<IOptions<RabbitMqOptions>>(), queueName));
        return services;
    }
}
