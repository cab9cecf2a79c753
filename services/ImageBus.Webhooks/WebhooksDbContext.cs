using ImageBus.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Webhooks;

/// <summary>The tables ImageBus.Webhooks owns (created by its <c>schema.sql</c>).</summary>
public sealed class WebhooksDbContext(DbContextOptions<WebhooksDbContext> options) : DbContext(options)
{
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<WebhookTenantSecret> WebhookTenantSecrets => Set<WebhookTenantSecret>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();
    public DbSet<JobEventRecord> JobEvents => Set<JobEventRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<WebhookEndpoint>(endpoint =>
        {
            endpoint.ToTable("webhook_endpoints");
            endpoint.HasKey(e => e.Id);
        });
        modelBuilder.Entity<WebhookTenantSecret>(secret =>
        {
            secret.ToTable("webhook_tenant_secrets");
            secret.HasKey(s => s.TenantId);
        });
        modelBuilder.Entity<JobEventRecord>(record =>
        {
            record.ToTable("job_events");
            record.HasKey(r => new { r.JobId, r.Sequence });
            record.Property(r => r.Payload).HasColumnType("json");
        });
        modelBuilder.Entity<WebhookDelivery>(delivery =>
        {
            delivery.ToTable("webhook_deliveries");
            delivery.HasKey(d => d.Id);
            delivery.HasMany(d => d.AttemptLog).WithOne().HasForeignKey(a => a.DeliveryId);
        });
        modelBuilder.Entity<WebhookAttempt>(attempt =>
        {
            attempt.ToTable("webhook_attempts");
            attempt.HasKey(a => a.Id);
        });
    }
}

public static class WebhooksExtensions
{
    /// <summary>The webhook tables (<see cref="WebhooksDbContext"/>), created at start-up.</summary>
    public static IServiceCollection AddWebhookStore(this IServiceCollection services) =>
        services.AddOwnedDbContext<WebhooksDbContext>(OwnedSchema.Of<WebhooksDbContext>());
}
