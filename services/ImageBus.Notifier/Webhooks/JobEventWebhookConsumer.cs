using ImageBus.Contracts;
using ImageBus.ServiceDefaults.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Notifier.Webhooks;

/// <summary>POSTs each event of a job to the webhook URL the job was submitted with.</summary>
public sealed class JobEventWebhookConsumer(WebhookSender sender, IDbContextFactory<ImageBusDbContext> contexts) :
    IConsumer<JobAccepted>,
    IConsumer<JobStarted>,
    IConsumer<JobProgressed>,
    IConsumer<JobCompleted>,
    IConsumer<JobPartiallyCompleted>,
    IConsumer<JobFailed>
{
    public Task Consume(ConsumeContext<JobAccepted> context) =>
        Deliver("job.accepted", context.Message, context.Message.WebhookUrl, context.CancellationToken);

    public Task Consume(ConsumeContext<JobStarted> context) => Deliver("job.started", context);

    public Task Consume(ConsumeContext<JobProgressed> context) =>
        Deliver(context.Message.Image.Status == ImageStatuses.Completed ? "image.completed" : "image.failed", context);

    public Task Consume(ConsumeContext<JobCompleted> context) => Deliver("job.completed", context);

    public Task Consume(ConsumeContext<JobPartiallyCompleted> context) => Deliver("job.partially_completed", context);

    public Task Consume(ConsumeContext<JobFailed> context) => Deliver("job.failed", context);

    /// <summary>Events after the first name no URL; the job's row has it, committed before any event
    /// of the job was published.</summary>
    async Task Deliver<T>(string type, ConsumeContext<T> context)
        where T : class, IJobEvent
    {
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        var url = await db.Jobs.AsNoTracking()
            .Where(j => j.CorrelationId == context.Message.Job.JobId)
            .Select(j => j.WebhookUrl)
            .SingleOrDefaultAsync(context.CancellationToken);
        await Deliver(type, context.Message, url, context.CancellationToken);
    }

    Task Deliver(string type, IJobEvent jobEvent, string? url, CancellationToken cancellationToken) =>
        url is null
            ? Task.CompletedTask
            : sender.SendAsync(url, WebhookSender.ToPayload(type, jobEvent, r => sender.ToWebhookImage(jobEvent.Job.JobId, r)), cancellationToken);
}
