using ImageBus.Contracts;
using MassTransit;
using Npgsql;

namespace ImageBus.Worker.Generation;

/// <summary>One delivery of a <see cref="GenerateImage"/> makes its image; another delivery of the same attempt waits.
/// RabbitMQ hands a consumer's unacknowledged commands to other consumers when its channel goes (a broker node lost, a
/// connection reset) while the first deliveries are still at Gemini; without a claim both would be billed. A claim is a
/// lease of <see cref="Lease"/> in PostgreSQL (table <c>image_attempt_claims</c>), renewed while the image is made, so a
/// worker killed mid-image lets a copy take over within the lease; an answered attempt is marked done, and a copy of it
/// is acknowledged without a call.</summary>
/// <remarks>The claim asks in the same round trip whether the job was cancelled (<see cref="ImageAttemptClaim.JobCancelled"/>).</remarks>
public sealed class ImageAttemptClaims(NpgsqlDataSource database, JobCancellationCheck cancellations, TimeProvider clock,
    ILogger<ImageAttemptClaims> logger)
{
    /// <summary>Long enough for the database's round trips, short enough that a copy of a killed worker's image waits little.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);

    static readonly TimeSpan RenewEvery = Lease / 3;
    static readonly TimeSpan RetryHeldEvery = TimeSpan.FromSeconds(1);

    /// <summary>The attempt's claim for this delivery, once no other live delivery holds it; null when the attempt was
    /// answered by another delivery. MassTransit's retries of one delivery share its claim (a payload of the receive context).</summary>
    public async Task<ImageAttemptClaim?> ClaimAsync(ConsumeContext<GenerateImage> context, CancellationToken ct)
    {
        var holder = context.ReceiveContext.GetOrAddPayload(() => new ClaimHolder(Guid.NewGuid())).Id;
        var command = context.Message;
        for (var waits = 0; ; waits++)
        {
            var (outcome, cancelled) = await TryClaimAsync(command, holder, ct);
            switch (outcome)
            {
                case "claimed":
                    return new ImageAttemptClaim(this, command, holder, cancelled);
                case "done":
                    logger.LogInformation("Image {ItemId} attempt {Attempt} of job {JobId} was already answered by another delivery; this one is acknowledged without a call",
                        command.Item.ItemId, command.Attempt, command.JobId);
                    return null;
                default:
                    if (waits == 0)
                    {
                        logger.LogInformation("Image {ItemId} attempt {Attempt} of job {JobId} is being made by another delivery; waiting for its answer or its lease to run out",
                            command.Item.ItemId, command.Attempt, command.JobId);
                    }

                    await Task.Delay(RetryHeldEvery, clock, ct);
                    break;
            }
        }
    }

    async Task<(string Outcome, bool JobCancelled)> TryClaimAsync(GenerateImage command, Guid holder, CancellationToken ct)
    {
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT claim_image_attempt($1, $2, $3, $4, $5)")
        {
            Parameters =
            {
                new() { Value = command.JobId },
                new() { Value = command.Item.ItemId },
                new() { Value = command.Attempt },
                new() { Value = holder },
                new() { Value = (int)Lease.TotalMilliseconds },
            },
        });
        batch.BatchCommands.Add(cancellations.StateStatement(command.JobId));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var outcome = reader.GetString(0);
        await reader.NextResultAsync(ct);
        var state = await reader.ReadAsync(ct) ? reader.GetValue(0) : null;
        return (outcome, JobCancellationCheck.IsCancelledState(state));
    }

    internal async Task RenewAsync(GenerateImage command, Guid holder, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RenewEvery, clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            await TryExecuteAsync("renew", "UPDATE image_attempt_claims SET held_until = now() + @lease_ms * interval '1 millisecond' "
                + "WHERE job_id = @job AND item_id = @item AND attempt = @attempt AND holder = @holder AND NOT done", command, holder);
        }
    }

    // Neither marking nor giving up may fail the image: the claim then lapses at the end of its lease, and a copy waits that long.
    internal Task MarkDoneAsync(GenerateImage command, Guid holder) =>
        TryExecuteAsync("mark as answered", "UPDATE image_attempt_claims SET done = true, held_until = now() "
            + "WHERE job_id = @job AND item_id = @item AND attempt = @attempt AND holder = @holder", command, holder);

    internal Task ReleaseAsync(GenerateImage command, Guid holder) =>
        TryExecuteAsync("give up", "DELETE FROM image_attempt_claims "
            + "WHERE job_id = @job AND item_id = @item AND attempt = @attempt AND holder = @holder AND NOT done", command, holder);

    async Task TryExecuteAsync(string what, string sql, GenerateImage command, Guid holder)
    {
        try
        {
            await using var statement = database.CreateCommand(sql);
            statement.Parameters.AddWithValue("job", command.JobId);
            statement.Parameters.AddWithValue("item", command.Item.ItemId);
            statement.Parameters.AddWithValue("attempt", command.Attempt);
            statement.Parameters.AddWithValue("holder", holder);
            statement.Parameters.AddWithValue("lease_ms", (int)Lease.TotalMilliseconds);
            await statement.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(exception, "Could not {What} the claim of image {ItemId} attempt {Attempt} of job {JobId}; it lapses within {Lease}",
                what, command.Item.ItemId, command.Attempt, command.JobId, Lease);
        }
    }

    sealed record ClaimHolder(Guid Id);
}

/// <summary>A delivery's hold on an image attempt: renewed until disposed; <see cref="DoneAsync"/> once the attempt is
/// answered, else disposing gives it up at once (a stopping worker's image goes to another worker without waiting).</summary>
public sealed class ImageAttemptClaim : IAsyncDisposable
{
    readonly ImageAttemptClaims claims;
    readonly GenerateImage command;
    readonly Guid holder;
    readonly CancellationTokenSource renewing = new();
    readonly Task renewal;
    bool done;

    internal ImageAttemptClaim(ImageAttemptClaims claims, GenerateImage command, Guid holder, bool jobCancelled)
    {
        (this.claims, this.command, this.holder, JobCancelled) = (claims, command, holder, jobCancelled);
        renewal = claims.RenewAsync(command, holder, renewing.Token);
    }

    /// <summary>Whether the job was cancelled when the attempt was claimed.</summary>
    public bool JobCancelled { get; }

    /// <summary>The attempt's result was published: another delivery of it is acknowledged without a call.</summary>
    public async Task DoneAsync()
    {
        await StopRenewingAsync();
        await claims.MarkDoneAsync(command, holder);
        done = true;
    }

    public async ValueTask DisposeAsync()
    {
        await StopRenewingAsync();
        if (!done)
        {
            await claims.ReleaseAsync(command, holder);
        }

        renewing.Dispose();
    }

    async Task StopRenewingAsync()
    {
        await renewing.CancelAsync();
        try
        {
            await renewal;
        }
        catch (OperationCanceledException)
        {
            // Stopped, as asked.
        }
    }
}
