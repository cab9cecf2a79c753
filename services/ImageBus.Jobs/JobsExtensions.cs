using ImageBus.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Jobs;

public static class JobsExtensions
{
    /// <summary>The job tables (<see cref="JobsDbContext"/>), created at start-up.</summary>
    public static IServiceCollection AddJobStore(this IServiceCollection services) =>
        services.AddOwnedDbContext<JobsDbContext>(OwnedSchema.Of<JobsDbContext>());
}
