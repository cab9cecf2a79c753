using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace ImageBus.Jobs;

/// <summary>The tables ImageBus.Jobs owns (created by its <c>schema.sql</c>): jobs and their images,
/// as the job saga keeps them, and the requests the gateway accepted.</summary>
public sealed class JobsDbContext(DbContextOptions<JobsDbContext> options) : DbContext(options)
{
    public DbSet<JobState> Jobs => Set<JobState>();
    public DbSet<JobImage> JobImages => Set<JobImage>();
    public DbSet<JobRequest> JobRequests => Set<JobRequest>();

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
            job.Ignore(j => j.ValidationErrors);
            job.Ignore(j => j.IsBatch);
            job.HasMany(j => j.Images).WithOne().HasForeignKey(i => i.JobId);
            job.Navigation(j => j.Images).AutoInclude();
        });
        modelBuilder.Entity<JobImage>(image =>
        {
            image.ToTable("job_images");
            image.HasKey(i => new { i.JobId, i.ItemId });
            image.Ignore(i => i.IsFinished);
            image.Ignore(i => i.IsBatched);
            image.Ignore(i => i.IsBatchable);
            image.Property(i => i.History).HasColumnType("jsonb").HasConversion(
                history => JsonSerializer.Serialize(history, JsonOptions),
                json => JsonSerializer.Deserialize<List<ImageAttempt>>(json, JsonOptions) ?? new List<ImageAttempt>(),
                new ValueComparer<List<ImageAttempt>>(
                    (a, b) => a!.SequenceEqual(b!),
                    history => history.Aggregate(0, (hash, attempt) => HashCode.Combine(hash, attempt)),
                    history => history.ToList()));
        });
        modelBuilder.Entity<JobRequest>(request =>
        {
            request.ToTable("job_requests");
            request.HasKey(r => r.JobId);
        });
    }
}
