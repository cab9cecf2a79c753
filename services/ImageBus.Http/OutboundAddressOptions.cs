using System.ComponentModel.DataAnnotations;
using System.Net;

namespace ImageBus.Http;

/// <summary>Section <c>OutboundAddresses</c>: which addresses that tenants choose (webhook URLs, source image
/// URLs) may be called. The gateway reads it at submission and registration, the notifier and the worker on
/// every connection.</summary>
public sealed class OutboundAddressOptions : IValidatableObject
{
    public const string Section = "OutboundAddresses";

    /// <summary>CIDRs (<c>127.0.0.1/32</c>, <c>10.1.0.0/16</c>) or host names that may be called even though
    /// they are loopback, private, link-local, ... Empty in production; the tests allow 127.0.0.1.</summary>
    public string[] AllowedHosts { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        AllowedHosts
            .Where(entry => entry.Contains('/', StringComparison.Ordinal) && !IPNetwork.TryParse(entry, out _))
            .Select(entry => new ValidationResult($"'{entry}' is not a valid CIDR", [nameof(AllowedHosts)]));
}
