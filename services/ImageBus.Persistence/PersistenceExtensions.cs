using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ImageBus.ServiceDefaults;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ImageBus.Persistence;

public static class PersistenceExtensions
{
    public const string ConnectionStringName = "ImageBus";

    /// <summary>Registers the tables a library owns: its schema script is applied as the host starts, before
    /// any hosted service (the bus included) starts (see <see cref="DatabaseSchema"/>).
    /// Also registers the process's one <see cref="NpgsqlDataSource"/> (its connection pool), its traces and metrics, and a
    /// readiness check that the database answers.</summary>
    public static IServiceCollection AddOwnedTables(this IServiceCollection services, OwnedSchema schema)
    {
        if (!services.Any(d => d.ServiceType == typeof(NpgsqlDataSource)))
        {
            services.AddOptions<DatabaseOptions>()
                .BindConfiguration(DatabaseOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
            services.AddSingleton(provider => NpgsqlDataSource.Create(ConnectionString(
                provider.GetRequiredService<IConfiguration>(), provider.GetRequiredService<IOptions<DatabaseOptions>>().Value,
                provider.GetService<IHostEnvironment>()?.ApplicationName ?? "ImageBus")));
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
            services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddNpgsqlInstrumentation());
            services.AddHealthChecks().AddNpgSql(provider => provider.GetRequiredService<NpgsqlDataSource>(), name: "postgresql", tags: [Telemetry.ReadyTag]);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DatabaseSchema>());
        if (!services.Any(d => d.ServiceType == typeof(OwnedSchema) && Equals(d.ImplementationInstance, schema)))
        {
            services.AddSingleton(schema);
        }

        return services;
    }

    /// <summary>An EF Core context factory on the shared data source, with snake_case names (PostgreSQL
    /// folds unquoted names to lower case, so hand-written SQL stays readable), for tables <paramref name="schema"/> creates.</summary>
    public static IServiceCollection AddOwnedDbContext<TContext>(this IServiceCollection services, OwnedSchema schema)
        where TContext : DbContext
    {
        services.AddOwnedTables(schema);
        if (!services.Any(d => d.ServiceType == typeof(IDbContextFactory<TContext>)))
        {
            services.AddDbContextFactory<TContext>((provider, options) =>
                options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()).UseSnakeCaseNamingConvention());
        }

        return services;
    }

    /// <summary>Retries <typeparamref name="TContext"/>'s queries and saves a few times within seconds when they meet a
    /// connection the database dropped (a restart leaves the pool's idle connections dead) or a database still starting.
    /// Only for contexts used without explicit transactions, which EF refuses under a retrying strategy.</summary>
    public static IServiceCollection RetryDroppedConnections<TContext>(this IServiceCollection services)
        where TContext : DbContext =>
        services.ConfigureDbContext<TContext>(options =>
            options.UseNpgsql(npgsql => npgsql.EnableRetryOnFailure(3, TimeSpan.FromSeconds(1), errorCodesToAdd: null)));

    /// <summary>The configured connection string with this service's pool size, and named after the service (unless it
    /// names itself) so that <c>pg_stat_activity</c> tells an operator whose connections are whose.</summary>
    static string ConnectionString(IConfiguration configuration, DatabaseOptions options, string serviceName)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set: give the PostgreSQL connection string.");
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = options.MaxPoolSize };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = serviceName;
        }

        return builder.ConnectionString;
    }
}
