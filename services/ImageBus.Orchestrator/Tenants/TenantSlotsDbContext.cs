using Microsoft.EntityFrameworkCore;

namespace ImageBus.Orchestrator.Tenants;

/// <summary>The tenant-slot saga's table, owned by the orchestrator (its <c>schema.sql</c>).</summary>
public sealed class TenantSlotsDbContext(DbContextOptions<TenantSlotsDbContext> options) : DbContext(options)
{
    public DbSet<TenantSlots> TenantSlots => Set<TenantSlots>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<TenantSlots>(slots =>
        {
            slots.ToTable("tenant_slots");
            slots.HasKey(t => t.CorrelationId);
        });
}
