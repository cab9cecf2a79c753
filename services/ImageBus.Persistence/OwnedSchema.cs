using System.Reflection;

namespace ImageBus.Persistence;

/// <summary>The schema script of the library that owns some tables, embedded in its assembly as
/// <c>{AssemblyName}.schema.sql</c>. Scripts run at every start-up, so they stay idempotent
/// (<c>IF NOT EXISTS</c> everywhere).</summary>
public sealed record OwnedSchema(Assembly Owner)
{
    public string Name => Owner.GetName().Name!;

    public static OwnedSchema Of<TMarker>() => new(typeof(TMarker).Assembly);

    public string ReadScript()
    {
        var resource = $"{Name}.schema.sql";
        using var stream = Owner.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{resource} is not embedded in {Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
