using System.ComponentModel.DataAnnotations;

namespace ImageBus.Messaging.Scheduling;

/// <summary>How the scheduled-message dispatcher polls and backs off. Section <c>Scheduling</c>.</summary>
public sealed class ScheduledMessageDispatcherOptions
{
    public const string Section = "Scheduling";

    /// <summary>Wait between passes that found nothing more to send: bounds how late a message goes out.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Rows claimed (and held locked) by one pass.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>How long one send may wait for the broker before its row is left for a later pass.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a message a transaction committed into the outbox is left to the process that committed it, which
    /// sends it from memory right after the commit; only a message still there after this (that process crashed, or the
    /// broker was down) is sent by the dispatchers. Longer than <see cref="SendTimeout"/>, so the two never both send.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan OutboxHandOver { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The longest wait after failures (database or broker down); waits double up to it from <see cref="PollInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the backlog (pending and overdue rows) is logged.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BacklogLogInterval { get; set; } = TimeSpan.FromMinutes(1);
}
