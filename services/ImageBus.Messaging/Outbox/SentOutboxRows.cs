using System.Threading.Channels;
using ImageBus.Messaging.Scheduling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageBus.Messaging.Outbox;

/// <summary>
/// Deletes the rows of outbox messages that were sent right after their commit, for every transaction of the process
/// together: one statement for what all of them sent within <see cref="Window"/>, instead of a pooled connection and a
/// round trip per transaction (the fourteen results of a case commit within milliseconds of each other). A row not deleted
/// (the process killed, the database down) is sent again by the dispatchers once its hand-over is due: at-least-once,
/// as before, and receivers are idempotent.
/// </summary>
public sealed class SentOutboxRows(ScheduledMessageStore store, ILogger<SentOutboxRows> logger) : BackgroundService
{
    static readonly TimeSpan Window = TimeSpan.FromMilliseconds(20);
    const int MaxPerStatement = 1000;

    readonly Channel<Guid> sent = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues the rows for the next deletion; once the host has stopped the deleting (the channel is completed),
    /// deletes them itself.</summary>
    public Task AddAsync(IReadOnlyCollection<Guid> tokenIds, CancellationToken cancellationToken)
    {
        List<Guid>? late = null;
        foreach (var tokenId in tokenIds)
        {
            if (!sent.Writer.TryWrite(tokenId))
            {
                (late ??= []).Add(tokenId);
            }
        }

        return late is null ? Task.CompletedTask : store.DeleteAsync(late, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Guid>(MaxPerStatement);
        // Runs until StopAsync completes the channel and what it held is deleted, not until the stopping token.
        while (await sent.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await Task.Delay(Window, CancellationToken.None);
            while (sent.Reader.TryRead(out var tokenId))
            {
                batch.Add(tokenId);
                if (batch.Count == MaxPerStatement)
                {
                    await DeleteAsync(batch);
                }
            }

            await DeleteAsync(batch);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        sent.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    async Task DeleteAsync(List<Guid> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await store.DeleteAsync(batch, CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Deleting {Count} sent outbox rows failed; the dispatchers will send them again when they are due",
                batch.Count);
        }

        batch.Clear();
    }
}
