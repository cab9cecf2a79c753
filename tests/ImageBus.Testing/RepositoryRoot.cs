namespace ImageBus.Testing;

/// <summary>The checkout the tests run from, and the build configuration they were built in.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{System.IO.Path.DirectorySeparatorChar}Release{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";

    static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ImageBus.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ImageBus.sln above {AppContext.BaseDirectory}");
    }
}
