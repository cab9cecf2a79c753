using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Messaging;

/// <summary>Section <c>FaultInjection</c>: for tests only. Off unless set explicitly; a process that has it on says so
/// at start-up.</summary>
public sealed class FaultInjectionOptions
{
    public const string Section = "FaultInjection";

    /// <summary>Ends the process at once right after a transaction with outbox messages commits, before they are sent
    /// (gateway: a submission; orchestrator: a saga's message), as a crash there would.</summary>
    public bool CrashAfterCommit { get; set; }

    /// <summary>With <see cref="CrashAfterCommit"/>: only after the commit of consuming this message type (its short
    /// name, e.g. <c>JobSlotGranted</c>); every commit when empty.</summary>
    public string? CrashAfterCommitOf { get; set; }

    /// <summary>Ends the worker at once right after Gemini created a batch, before the batch is recorded, as a crash
    /// there would: the batch's seal comes back, and it must find that batch rather than create a second one.</summary>
    public bool CrashAfterBatchCreate { get; set; }
}

/// <summary>The test-only crash points of <see cref="FaultInjectionOptions"/>.</summary>
public sealed class FaultInjection(IOptions<FaultInjectionOptions> options, ILogger<FaultInjection> logger)
{
    /// <summary>Called right after a commit whose outbox messages are not sent yet; <paramref name="what"/> names the
    /// submission or the consumed message type.</summary>
    public void AfterCommit(string what)
    {
        var settings = options.Value;
        if (!settings.CrashAfterCommit || (settings.CrashAfterCommitOf is { Length: > 0 } only && only != what))
        {
            return;
        }

        logger.LogCritical("Fault injection: crashing after the commit of {What}, before its messages are sent", what);
        Environment.FailFast($"FaultInjection:CrashAfterCommit after {what}");
    }

    /// <summary>Called right after Gemini answered a batch create, before the batch's name is recorded.</summary>
    public void AfterBatchCreated(string batchName)
    {
        if (!options.Value.CrashAfterBatchCreate)
        {
            return;
        }

        logger.LogCritical("Fault injection: crashing after Gemini created batch {BatchName}, before it is recorded", batchName);
        Environment.FailFast($"FaultInjection:CrashAfterBatchCreate after {batchName}");
    }

    public void WarnIfEnabled()
    {
        if (options.Value.CrashAfterBatchCreate)
        {
            logger.LogWarning("Fault injection is ON (FaultInjection:CrashAfterBatchCreate): this process will crash on purpose; tests only");
        }

        if (options.Value.CrashAfterCommit)
        {
            logger.LogWarning("Fault injection is ON (FaultInjection:CrashAfterCommit, only {Only}): this process will crash on purpose; tests only",
                options.Value.CrashAfterCommitOf ?? "every commit");
        }
    }
}
