using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ImageBus.Operations.DeadLetters;

/// <summary>Failures that are the same problem: the same exception type, the same message once what varies from one
/// occurrence to the next (ids, numbers, quoted values such as paths) is replaced, and the same message type.</summary>
public static partial class FailureGroups
{
    /// <summary>The exception message with quoted values, guids and numbers replaced by placeholders.</summary>
    public static string Normalise(string message)
    {
        var normalised = QuotedValue().Replace(message, match => $"{match.Value[0]}…{match.Value[0]}");
        normalised = Guid().Replace(normalised, "{id}");
        normalised = Number().Replace(normalised, "{n}");
        return normalised.Trim();
    }

    /// <summary>A short, url-safe id that stays the same for the same group on every instance and across restarts.</summary>
    public static string IdOf(string exceptionType, string normalisedMessage, string? messageType)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{exceptionType}\n{normalisedMessage}\n{messageType}"));
        return Convert.ToHexStringLower(hash)[..16];
    }

    [GeneratedRegex("""'[^']*'|"[^"]*"|`[^`]*`""")]
    private static partial Regex QuotedValue();

    [GeneratedRegex("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"(?<![A-Za-z])\d+(\.\d+)?")]
    private static partial Regex Number();
}
