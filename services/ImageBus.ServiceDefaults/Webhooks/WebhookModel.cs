using Microsoft.EntityFrameworkCore;

namespace ImageBus.ServiceDefaults.Webhooks;

/// <summary>Maps the webhook entities onto the tables schema.sql creates.</summary>
public static class WebhookModel
{
    public static void Configure(ModelBuilder modelBuilder)
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
