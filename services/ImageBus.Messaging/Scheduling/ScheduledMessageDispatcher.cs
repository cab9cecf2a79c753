using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Messaging.Scheduling;

/// <summary>
/// Sends scheduled messages when they are due, and outbox messages (rows due at once) that the process
/// which wrote them could not send itself (it crashed after its commit, or the broker was down). Any number of instances may run against one database:
/// each pass claims rows with <c>FOR UPDATE SKIP LOCKED</c> (see <see cref="ScheduledMessageStore.DispatchDueAsync"/>).
/// Failures (database, broker) are logged and retried with a growing wait; they never stop the host.
/// </summary>
public sealed class ScheduledMessageDispatcher(
    ScheduledMessageStore store,
    StoredMessageSender sender,
    IOptions<ScheduledMessageDispatcherOptions> options,
    TimeProvider clock,
    ILogger<ScheduledMessageDispatcher> logger) : BackgroundService
{
    readonly ScheduledMessageDispatcherOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = settings.PollInterval;
        var nextBacklogLog = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The pass itself is not cancelled by shutdown: it ends within the send timeout, and
                // finishing it avoids sending its messages a second time from another instance.
                var pass = await store.DispatchDueAsync(settings.BatchSize, sender.TrySendAsync, CancellationToken.None);
                if (pass.Claimed > 0)
                {
                    logger.LogDebug("Dispatched {Sent} of {Claimed} due scheduled messages", pass.Sent, pass.Claimed);
                }

                wait = pass.AnyFailed ? Longer(wait) : settings.PollInterval;
                if (!pass.AnyFailed && pass.Claimed == settings.BatchSize)
                {
                    continue; // A full batch: more may be due already.
                }

                if (clock.GetUtcNow() >= nextBacklogLog)
                {
                    nextBacklogLog = clock.GetUtcNow() + settings.BacklogLogInterval;
                    var backlog = await store.CountBacklogAsync(stoppingToken);
                    logger.LogInformation("Scheduled messages: {Pending} pending, {Overdue} overdue", backlog.Pending, backlog.Overdue);
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                wait = Longer(wait);
                logger.LogWarning(exception, "Dispatching scheduled messages failed; next try in {Wait}", wait);
            }

            try
            {
                await Task.Delay(wait, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    TimeSpan Longer(TimeSpan wait) => TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, settings.MaxBackoff.Ticks));
}
