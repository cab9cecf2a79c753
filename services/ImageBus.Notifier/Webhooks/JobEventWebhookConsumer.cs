using ImageBus.Contracts;
using ImageBus.Webhooks;
using MassTransit;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Turns each job event into a recorded event and one delivery per matching endpoint, and asks
/// for each delivery to be sent (<see cref="DeliverWebhook"/>) so that no POST runs on this queue.</summary>
public sealed class JobEventWebhookConsumer(JobEventRecorder recorder, ILogger<JobEventWebhookConsumer> logger) :
    IConsumer<JobAccepted>,
    IConsumer<JobStarted>,
    IConsumer<JobProgressed>,
    IConsumer<JobImageStepCompleted>,
    IConsumer<JobCompleted>,
    IConsumer<JobPartiallyCompleted>,
    IConsumer<JobFailed>,
    IConsumer<JobCancelled>,
    IConsumer<JobRetried>
{
    public Task Consume(ConsumeContext<JobAccepted> context) => Record(context);

    public Task Consume(ConsumeContext<JobStarted> context) => Record(context);

    public Task Consume(ConsumeContext<JobProgressed> context) => Record(context);

    public Task Consume(ConsumeContext<JobImageStepCompleted> context) => Record(context);

    public Task Consume(ConsumeContext<JobCompleted> context) => Record(context);

    public Task Consume(ConsumeContext<JobPartiallyCompleted> context) => Record(context);

    public Task Consume(ConsumeContext<JobFailed> context) => Record(context);

    public Task Consume(ConsumeContext<JobCancelled> context) => Record(context);

    public Task Consume(ConsumeContext<JobRetried> context) => Record(context);

    async Task Record<T>(ConsumeContext<T> context)
        where T : class, IJobEvent
    {
        var deliveries = await recorder.RecordAsync(context.Message, context.CancellationToken);
        var endpoint = await context.GetSendEndpoint(DeliverWebhook.Address);
        foreach (var deliveryId in deliveries)
        {
            await endpoint.Send(new DeliverWebhook(deliveryId), context.CancellationToken);
        }

        logger.LogDebug("Recorded event #{Sequence} of job {JobId} with {DeliveryCount} deliveries",
            context.Message.Job.Sequence, context.Message.Job.JobId, deliveries.Count);
    }
}
