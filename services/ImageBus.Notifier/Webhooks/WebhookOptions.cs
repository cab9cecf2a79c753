using System.ComponentModel.DataAnnotations;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>How long one POST may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The gateway's public address, so that payloads carry image URLs subscribers can fetch.</summary>
    [Required]
    [Url]
    public string GatewayBaseUrl { get; set; } = "http://127.0.0.1:5080";
}
