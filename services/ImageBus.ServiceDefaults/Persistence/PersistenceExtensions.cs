using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.ServiceDefaults.Persistence;

public static class PersistenceExtensions
{
    public const string ConnectionStringName = "ImageBus";

    /// <summary>Registers the PostgreSQL context factory and the schema check, which runs as the
    /// host starts and before the bus does (hosted services start in registration order).</summary>
    public static IServiceCollection AddImageBusDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set: give the PostgreSQL connection string.");
        }

        services.AddDbContextFactory<ImageBusDbContext>(options => options.UseNpgsql(connectionString));
        services.AddHostedService<DatabaseSchema>();
        return services;
    }
}
