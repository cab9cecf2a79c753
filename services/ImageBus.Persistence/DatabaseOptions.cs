using System.ComponentModel.DataAnnotations;

namespace ImageBus.Persistence;

/// <summary>The process's connection pool, bound from the <c>Database</c> section. Sized per service (each service's
/// appsettings.json) rather than in the connection string, which deployments replace whole: every instance of every
/// service shares one PostgreSQL <c>max_connections</c>, and Npgsql's own default of 100 a process runs eight processes
/// past a server's usual 100–300.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Connections this process opens at most (Npgsql's <c>Maximum Pool Size</c>; a value in the connection
    /// string is replaced). A caller beyond it waits for a connection to come back, up to the connection string's
    /// <c>Timeout</c>.</summary>
    [Range(2, 1000)]
    public int MaxPoolSize { get; set; } = 30;
}
