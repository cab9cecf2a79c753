using ImageBus.Persistence;
using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.Tenants;

public static class TenantsExtensions
{
    /// <summary>The tenant and key tables (<see cref="TenantsDbContext"/>) and the key check.</summary>
    public static IServiceCollection AddTenantStore(this IServiceCollection services)
    {
        services.AddOwnedDbContext<TenantsDbContext>(OwnedSchema.Of<TenantsDbContext>());
        services.AddValidatedOptions<AdminOptions>(AdminOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyAuthenticator>();
        return services;
    }

    /// <summary>Signing (and checking) image links, on the key in table signing_keys unless configured.</summary>
    public static IServiceCollection AddSignedImageUrls(this IServiceCollection services)
    {
        services.AddOwnedTables(OwnedSchema.Of<TenantsDbContext>());
        services.AddValidatedOptions<ImageUrlOptions>(ImageUrlOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ImageUrlSigner>();
        return services;
    }
}
