using System.ComponentModel.DataAnnotations;
using System.Net;

namespace ImageBus.ServiceDefaults.Webhooks;

/// <summary>Section <c>Webhooks</c>, the part both the gateway (at registration) and the notifier (at
/// delivery) read to decide which webhook addresses may be called.</summary>
public sealed class WebhookAddressOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>CIDRs (<c>127.0.0.1/32</c>, <c>10.1.0.0/16</c>) or host names that may be called even though
    /// they are loopback, private, link-local, ... Empty in production; the tests allow 127.0.0.1.</summary>
    public string[] AllowedHosts { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AllowedHosts
            .Where(entry => entry.Contains('/', StringComparison.Ordinal) && !IPNetwork.TryParse(entry, out _))
            .Select(entry => new ValidationResult($"'{entry}' is not a valid CIDR", [nameof(AllowedHosts)]));
}
