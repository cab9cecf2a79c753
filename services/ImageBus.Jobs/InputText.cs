using System.Text;
using System.Text.Json;

namespace ImageBus.Jobs;

/// <summary>The limits of caller-given text (see README, "Input limits"), and how such text is shown back in error
/// messages and stored for a refused case: escaped and shortened, so that neither a NUL the database refuses nor a
/// megabyte of input travels on.</summary>
public static class InputText
{
    public const int MaxCaseIdLength = 128;
    public const int MaxNameLength = 200;
    public const int MaxIdempotencyKeyLength = 255;
    public const int MaxModelLength = 100;
    public const int MaxUrlLength = 2048;
    public const int MaxDescriptionLength = 500;

    /// <summary>Whether <paramref name="value"/> has a control character (NUL included); free text may keep
    /// line breaks and tabs when <paramref name="multiLine"/>.</summary>
    public static bool HasControl(string value, bool multiLine = false) =>
        value.Any(c => char.IsControl(c) && !(multiLine && c is '\n' or '\r' or '\t'));

    /// <summary>Text of a field: at most <paramref name="max"/> characters, no control character (NUL included; free
    /// text may break lines). False, with the problem listed, when it breaks either rule.</summary>
    public static bool Check(List<ValidationError> errors, string field, string value, int max, bool multiLine = false)
    {
        var fine = true;
        if (value.Length > max)
        {
            errors.Add(new(field, $"must be at most {max} characters, not {value.Length}"));
            fine = false;
        }

        if (HasControl(value, multiLine))
        {
            errors.Add(new(field, multiLine ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters"));
            fine = false;
        }

        return fine;
    }

    /// <summary>Printable ASCII only (space to tilde), as HTTP header values can carry.</summary>
    public static bool IsPrintableAscii(string value) => value.All(c => c is >= ' ' and <= '~');

    /// <summary>A caller's value quoted in a message: control characters as <c>\uXXXX</c>, at most 40 characters.</summary>
    public static string Show(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        const int Shown = 40;
        var builder = new StringBuilder("'");
        foreach (var c in value.Length > Shown ? value[..Shown] : value)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c);
        }

        return builder.Append(value.Length > Shown ? "…'" : "'").ToString();
    }

    /// <summary>A refused case's value as it can be stored and reported: without control characters, at most
    /// <paramref name="max"/> characters.</summary>
    public static string Storable(string? value, int max = MaxCaseIdLength)
    {
        var kept = new string((value ?? "").Where(c => !char.IsControl(c) && !char.IsSurrogate(c)).ToArray());
        return kept.Length > max ? kept[..max] : kept;
    }

    /// <summary>What a JSON reader's failure means for the caller: the field, as a JSON path without <c>$.</c>
    /// (<c>items[0].name</c>), and the problem in the caller's terms, without .NET type names or reader positions.</summary>
    public static ValidationError FromJson(JsonException exception)
    {
        var field = exception.Path is null or "$" ? "body" : exception.Path.TrimStart('$').TrimStart('.');
        var message = exception.Message;
        const string Converted = "could not be converted to ";
        var at = message.IndexOf(Converted, StringComparison.Ordinal);
        if (at >= 0)
        {
            // The reader names the type it was reading (for a field of a record, the record); the inner exception says
            // what the token should have been.
            var type = message[(at + Converted.Length)..];
            var end = type.IndexOf(". Path", StringComparison.Ordinal);
            return new(field, $"must be {Expected(exception.InnerException?.Message ?? "", end >= 0 ? type[..end] : type)}");
        }

        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = position > 0 ? message[..position].TrimEnd(' ', '|') : message;
        return new(field, $"is not valid JSON: {message}");
    }

    /// <summary>The JSON a reader's inner message or, failing it, a .NET type name stands for.</summary>
    static string Expected(string inner, string type)
    {
        const string As = " as a ";
        var at = inner.IndexOf(As, StringComparison.Ordinal);
        return inner switch
        {
            _ when inner.Contains("out of bounds for an Int32", StringComparison.Ordinal) => $"a whole number from {int.MinValue} to {int.MaxValue}",
            _ when inner.Contains("Guid", StringComparison.Ordinal) => "a UUID string",
            _ when at >= 0 => $"a {inner[(at + As.Length)..].TrimEnd('.')}",
            _ when type.Contains("Int32", StringComparison.Ordinal) => $"a whole number from {int.MinValue} to {int.MaxValue}",
            _ when type.StartsWith("System.String", StringComparison.Ordinal) => "a string",
            _ when type.Contains("List", StringComparison.Ordinal) || type.Contains("[]", StringComparison.Ordinal) => "an array",
            _ => "an object",
        };
    }

}
