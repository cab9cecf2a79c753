using System.Collections.Concurrent;
using MassTransit;

namespace ImageBus.Scheduling.Tests;

/// <summary>The message the tests schedule; <see cref="DueAt"/> lets the receiver measure lateness.</summary>
public sealed record ScheduledProbe(Guid ProbeId, DateTimeOffset DueAt);

/// <summary>One probe as a consumer received it.</summary>
public sealed record ProbeDelivery(Guid ProbeId, Guid? TokenId, DateTimeOffset DueAt, DateTimeOffset ReceivedAt)
{
    public TimeSpan Lateness => ReceivedAt - DueAt;
}

/// <summary>Every probe delivery seen by any host of a test, shared by the hosts it starts.</summary>
public sealed class DeliveryLog
{
    readonly ConcurrentQueue<ProbeDelivery> deliveries = new();

    public IReadOnlyList<ProbeDelivery> Deliveries => deliveries.ToArray();

    public void Record(ProbeDelivery delivery) => deliveries.Enqueue(delivery);

    /// <summary>Waits until <paramref name="count"/> distinct probes arrived, or fails after the timeout.</summary>
    public async Task WaitForDistinctAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (Deliveries.Select(d => d.ProbeId).Distinct().Count() < count)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{Deliveries.Count} deliveries, fewer than {count} distinct probes, after {timeout}");
            }

            await Task.Delay(50);
        }
    }
}

public sealed class ScheduledProbeConsumer(DeliveryLog log) : IConsumer<ScheduledProbe>
{
    public Task Consume(ConsumeContext<ScheduledProbe> context)
    {
        var token = context.Headers.Get<string>(MessageHeaders.SchedulingTokenId);
        log.Record(new ProbeDelivery(context.Message.ProbeId, token is null ? null : Guid.Parse(token),
            context.Message.DueAt, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

public sealed class ScheduledProbeConsumerDefinition : ConsumerDefinition<ScheduledProbeConsumer>
{
    public const string Queue = "scheduled-probe";

    /// <summary>Where probes are scheduled to: the endpoint's exchange (a <c>queue:</c> address would
    /// declare a classic queue beside the quorum one).</summary>
    public static Uri Address { get; } = new($"exchange:{Queue}");

    public ScheduledProbeConsumerDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 32;
    }
}
