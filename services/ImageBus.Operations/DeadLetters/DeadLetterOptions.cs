using System.ComponentModel.DataAnnotations;

namespace ImageBus.Operations.DeadLetters;

/// <summary>Collection of dead letters by the gateways. Section <c>DeadLetters</c>.</summary>
public sealed class DeadLetterOptions
{
    public const string Section = "DeadLetters";

    /// <summary>Off only where another process collects them.</summary>
    public bool Collect { get; set; } = true;

    /// <summary>How often the <c>_error</c> queues are looked at for new messages.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan CollectInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At most this many messages of one queue per pass, so that one flooded queue does not starve the others.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;
}
