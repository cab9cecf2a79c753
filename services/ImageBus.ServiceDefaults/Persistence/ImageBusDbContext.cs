using System.Text;
using System.Text.Json;
using ImageBus.ServiceDefaults.Jobs;
using ImageBus.ServiceDefaults.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace ImageBus.ServiceDefaults.Persistence;

/// <summary>The tables ImageBus keeps in PostgreSQL. The schema itself is created by
/// <see cref="DatabaseSchema"/> from <c>Persistence/schema.sql</c>; this maps onto it.</summary>
public sealed class ImageBusDbContext(DbContextOptions<ImageBusDbContext> options) : DbContext(options)
{
    public DbSet<JobState> Jobs => Set<JobState>();
    public DbSet<JobImage> JobImages => Set<JobImage>();
    public DbSet<JobRequest> JobRequests => Set<JobRequest>();
    public DbSet<TenantSlots> TenantSlots => Set<TenantSlots>();
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<WebhookTenantSecret> WebhookTenantSecrets => Set<WebhookTenantSecret>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();
    public DbSet<JobEventRecord> JobEvents => Set<JobEventRecord>();

    static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<JobState>(job =>
        {
            job.ToTable("jobs");
            job.HasKey(j => j.CorrelationId);
            job.Property(j => j.CorrelationId).HasColumnName("job_id");
            job.Property(j => j.Version).HasColumnName("xmin").HasColumnType("xid").IsRowVersion();
            job.Ignore(j => j.Status);
            job.Ignore(j => j.Counts);
            job.Ignore(j => j.AllImagesFinished);
            job.Ignore(j => j.EstimatedCostUsd);
            job.Ignore(j => j.TotalTokens);
            job.HasMany(j => j.Images).WithOne().HasForeignKey(i => i.JobId);
            job.Navigation(j => j.Images).AutoInclude();
        });
        modelBuilder.Entity<JobImage>(image =>
        {
            image.ToTable("job_images");
            image.HasKey(i => new { i.JobId, i.ItemId });
            image.Ignore(i => i.IsFinished);
            image.Property(i => i.History).HasColumnType("jsonb").HasConversion(
                history => JsonSerializer.Serialize(history, JsonOptions),
                json => JsonSerializer.Deserialize<List<ImageAttempt>>(json, JsonOptions) ?? new List<ImageAttempt>(),
                new ValueComparer<List<ImageAttempt>>(
                    (a, b) => a!.SequenceEqual(b!),
                    history => history.Aggregate(0, (hash, attempt) => HashCode.Combine(hash, attempt)),
                    history => history.ToList()));
        });
        modelBuilder.Entity<TenantSlots>(slots =>
        {
            slots.ToTable("tenant_slots");
            slots.HasKey(t => t.CorrelationId);
        });
        modelBuilder.Entity<JobRequest>(request =>
        {
            request.ToTable("job_requests");
            request.HasKey(r => r.JobId);
        });

        WebhookModel.Configure(modelBuilder);
        UseSnakeCaseColumns(modelBuilder);
    }

    /// <summary>PostgreSQL folds unquoted names to lower case; snake_case keeps hand-written SQL readable.</summary>
    static void UseSnakeCaseColumns(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == property.Name)
                {
                    property.SetColumnName(ToSnakeCase(property.Name));
                }
            }
        }
    }

    static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
