using System.Text.RegularExpressions;
using ImageBus.Testing;

namespace ImageBus.Deploy.Tests;

/// <summary>The configuration keys ImageBus's services read, found in their sources: each options class's section
/// (<c>const string Section</c> or <c>SectionName</c>) and its properties, nested option classes included. A setting
/// named in a deployment file that is none of these is a typo the services would silently ignore.</summary>
sealed partial class ServiceSettings
{
    /// <summary>Keys read outside options classes: the connection string, ASP.NET Core's and OpenTelemetry's own.</summary>
    static readonly Regex Framework = FrameworkKeys();

    readonly Dictionary<string, List<string>> classesBySection = [];
    readonly Dictionary<string, Dictionary<string, string>> propertiesByClass = [];

    public static ServiceSettings Read()
    {
        var settings = new ServiceSettings();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "services"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            settings.Index(File.ReadAllText(file));
        }

        return settings;
    }

    /// <summary>Whether the services read <paramref name="key"/> (an environment variable name, <c>Section__Key__…</c>).</summary>
    public bool Reads(string key)
    {
        if (Framework.IsMatch(key))
        {
            return true;
        }

        var parts = key.Split("__");
        if (parts.Length < 2 || !classesBySection.TryGetValue(parts[0], out var classes))
        {
            return false;
        }

        return classes.Any(c => HasPath(c, parts.AsSpan(1)));
    }

    bool HasPath(string className, ReadOnlySpan<string> path)
    {
        if (!propertiesByClass.TryGetValue(className, out var properties) || !properties.TryGetValue(path[0], out var type))
        {
            return false;
        }

        // Below a dictionary, list or simple value the keys are data (a model name, an index), not property names.
        return path.Length == 1 || !propertiesByClass.ContainsKey(type) || HasPath(type, path[1..]);
    }

    void Index(string source)
    {
        foreach (Match type in ClassDeclaration().Matches(source))
        {
            var name = type.Groups["name"].Value;
            var body = BodyOf(source, type.Index + type.Length - 1);
            var properties = propertiesByClass.TryGetValue(name, out var known) ? known : propertiesByClass[name] = [];
            foreach (Match property in PropertyDeclaration().Matches(body))
            {
                properties[property.Groups["name"].Value] = property.Groups["type"].Value.TrimEnd('?');
            }

            if (SectionConstant().Match(body) is { Success: true } section)
            {
                var sectionName = section.Groups["section"].Value;
                (classesBySection.TryGetValue(sectionName, out var list) ? list : classesBySection[sectionName] = []).Add(name);
            }
        }
    }

    /// <summary>The text between the brace at <paramref name="open"/> and its match.</summary>
    static string BodyOf(string source, int open)
    {
        var depth = 0;
        for (var i = open; i < source.Length; i++)
        {
            depth += source[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return source[(open + 1)..i];
            }
        }

        return source[(open + 1)..];
    }

    [GeneratedRegex(@"^(ConnectionStrings__ImageBus|Urls|ASPNETCORE_\w+|DOTNET_\w+|OTEL_\w+|GEMINI_API_KEY|Logging__Format|Logging__LogLevel__.+)$")]
    private static partial Regex FrameworkKeys();

    [GeneratedRegex(@"\bclass\s+(?<name>\w+)[^{;]*\{")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"public\s+(?:required\s+)?(?<type>[\w<>\[\],.? ]+?)\s+(?<name>\w+)\s*\{\s*get;")]
    private static partial Regex PropertyDeclaration();

    [GeneratedRegex(@"const\s+string\s+Section(?:Name)?\s*=\s*""(?<section>\w+)""")]
    private static partial Regex SectionConstant();
}
