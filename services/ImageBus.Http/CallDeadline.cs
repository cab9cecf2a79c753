namespace ImageBus.Http;

/// <summary>One outbound call's own time limit on top of the caller's token: cancelled when either fires, and
/// able to tell which one did (a timeout is the callee's failure, a cancelled caller is not).</summary>
public sealed class CallDeadline : IDisposable
{
    readonly CancellationTokenSource source;
    readonly CancellationToken caller;

    CallDeadline(TimeSpan timeout, CancellationToken caller)
    {
        this.caller = caller;
        source = CancellationTokenSource.CreateLinkedTokenSource(caller);
        source.CancelAfter(timeout);
    }

    public static CallDeadline Start(TimeSpan timeout, CancellationToken caller) => new(timeout, caller);

    public CancellationToken Token => source.Token;

    /// <summary>True when the call was stopped by its own limit, not by the caller.</summary>
    public bool Expired => source.IsCancellationRequested && !caller.IsCancellationRequested;

    public void Dispose() => source.Dispose();
}
