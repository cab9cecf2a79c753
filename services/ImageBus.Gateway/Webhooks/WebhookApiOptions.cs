using System.ComponentModel.DataAnnotations;

namespace ImageBus.Gateway.Webhooks;

/// <summary>Section <c>Webhooks</c>, the gateway's part.</summary>
public sealed class WebhookApiOptions
{
    public const string Section = "Webhooks";

    /// <summary>How long a rotated-out secret keeps signing (a second signature), so subscribers can switch.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan PreviousSecretLifetime { get; set; } = TimeSpan.FromHours(24);
}
