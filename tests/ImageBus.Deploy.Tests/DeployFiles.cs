using ImageBus.Testing;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace ImageBus.Deploy.Tests;

/// <summary>The deployment files, parsed (YAML anchors and merge keys resolved, as Docker Compose resolves them).</summary>
static class DeployFiles
{
    public static string PathOf(string relative) => Path.Combine(RepositoryRoot.Path, relative);

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Every YAML document in the file, as nested dictionaries and lists.</summary>
    public static IReadOnlyList<Dictionary<object, object>> Documents(string relative)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(Text(relative))));
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    public static Dictionary<object, object> Map(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) && value is Dictionary<object, object> child
            ? child
            : throw new KeyNotFoundException($"no map '{key}'");

    public static IEnumerable<object> List(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) && value is List<object> list ? list : [];

    public static string? Scalar(this object? node, string key) =>
        node is Dictionary<object, object> map && map.TryGetValue(key, out var value) ? value as string : null;
}
