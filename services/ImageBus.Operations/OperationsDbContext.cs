using Microsoft.EntityFrameworkCore;

namespace ImageBus.Operations;

/// <summary>The tables ImageBus.Operations owns (created by its <c>schema.sql</c>).</summary>
public sealed class OperationsDbContext(DbContextOptions<OperationsDbContext> options) : DbContext(options)
{
    public DbSet<FailedMessage> FailedMessages => Set<FailedMessage>();
    public DbSet<FailedMessageAction> FailedMessageActions => Set<FailedMessageAction>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<FailedMessage>(message =>
        {
            message.ToTable("failed_messages");
            message.HasKey(m => m.Id);
            message.Property(m => m.Properties).HasColumnType("jsonb");
            message.Property(m => m.Headers).HasColumnType("jsonb");
        });
        modelBuilder.Entity<FailedMessageAction>(action =>
        {
            action.ToTable("failed_message_actions");
            action.HasKey(a => a.Id);
        });
    }
}

/// <summary>One message MassTransit moved to an <c>_error</c> queue, as collected: where it failed, why (the
/// <c>MT-Fault-*</c> headers), what it was about, and the message itself (properties, headers, body) to send it back.</summary>
public sealed class FailedMessage
{
    public Guid Id { get; set; }

    /// <summary>The broker message's identity (see schema.sql): a redelivery of the same message is the same row.</summary>
    public string BrokerKey { get; set; } = "";
    public string ErrorQueue { get; set; } = "";
    public string SourceQueue { get; set; } = "";
    public string GroupId { get; set; } = "";
    public string? MessageType { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? JobId { get; set; }
    public string? TenantId { get; set; }
    public string ExceptionType { get; set; } = "";
    public string ExceptionMessage { get; set; } = "";

    /// <summary>The exception message with its ids, numbers and quoted values replaced, as the group shows it.</summary>
    public string GroupMessage { get; set; } = "";
    public string? StackTrace { get; set; }
    public string? ConsumerType { get; set; }
    public string? Host { get; set; }
    public DateTimeOffset FaultedAt { get; set; }
    public int RetryCount { get; set; }

    /// <summary>JSON objects: the AMQP properties (<see cref="DeadLetters.BrokerMessage"/>) and the headers as received.</summary>
    public string Properties { get; set; } = "{}";
    public string Headers { get; set; } = "{}";
    public byte[] Body { get; set; } = [];

    /// <summary>One of <see cref="FailedMessageStatuses"/>.</summary>
    public string Status { get; set; } = FailedMessageStatuses.Failed;
    public DateTimeOffset CollectedAt { get; set; }

    /// <summary>When it was retried or deleted.</summary>
    public DateTimeOffset? ResolvedAt { get; set; }
}

public static class FailedMessageStatuses
{
    public const string Failed = "failed";
    public const string Retried = "retried";
    public const string Deleted = "deleted";
}

/// <summary>A retry or delete of dead letters: who (the admin key), when, which (<see cref="Selector"/>) and how many.</summary>
public sealed class FailedMessageAction
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = "";

    /// <summary><c>retry</c> or <c>delete</c>.</summary>
    public string Action { get; set; } = "";

    /// <summary><c>ids</c>, <c>group:{groupId}</c> or <c>all</c>.</summary>
    public string Selector { get; set; } = "";
    public int Count { get; set; }
}
