using System.ComponentModel.DataAnnotations;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Section <c>Webhooks</c>: how the notifier delivers. (Which addresses it may call is
/// <see cref="ImageBus.Webhooks.OutboundAddressOptions"/>, in the same section.)</summary>
public sealed class WebhookDeliveryOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    static readonly TimeSpan[] StandardRetrySchedule =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>How long one POST may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The gateway's public address, so that payloads carry image URLs subscribers can fetch.</summary>
    [Required]
    [Url]
    public string GatewayBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The delay before each attempt (the first is normally zero); after the last failed attempt
    /// the delivery is dead. Unset means immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    /// Null by default because configuration binding appends to a pre-filled array instead of replacing it.</summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    public IReadOnlyList<TimeSpan> Attempts => RetrySchedule is { Length: > 0 } ? RetrySchedule : StandardRetrySchedule;

    /// <summary>An endpoint whose attempts have all failed for this long is disabled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a delivery waits for earlier events of its job that are not recorded yet (still
    /// in flight on the bus) before it goes out anyway, in case one of them never comes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MissingEventWait { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Attempts.Any(delay => delay < TimeSpan.Zero))
        {
            yield return new ValidationResult("retry delays must not be negative", [nameof(RetrySchedule)]);
        }
    }
}
