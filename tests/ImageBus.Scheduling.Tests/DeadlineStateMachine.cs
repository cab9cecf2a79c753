using System.Collections.Concurrent;
using MassTransit;

namespace ImageBus.Scheduling.Tests;

public sealed record WorkStarted(Guid CorrelationId);

public sealed record WorkFinished(Guid CorrelationId);

public sealed record WorkDeadlineExpired(Guid CorrelationId);

public sealed class DeadlineState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = "";
    public Guid? DeadlineTokenId { get; set; }
}

/// <param name="ScheduledAt">Just before <c>Schedule</c> ran: the deadline is due no earlier than this plus its delay.</param>
public sealed record ScheduledDeadline(Guid TokenId, DateTimeOffset ScheduledAt);

/// <summary>What the state machine did, for the test to look at.</summary>
public sealed class DeadlineObservations
{
    public ConcurrentDictionary<Guid, DateTimeOffset> ScheduleCalledAt { get; } = new();
    public ConcurrentDictionary<Guid, ScheduledDeadline> Scheduled { get; } = new();
    public ConcurrentDictionary<Guid, DateTimeOffset> Expired { get; } = new();
    public ConcurrentDictionary<Guid, DateTimeOffset> Finished { get; } = new();
}

/// <summary>The shape the orchestrator's job deadline has: <c>Schedule</c> on start, <c>Unschedule</c> when the
/// work finishes in time, the deadline event otherwise.</summary>
public sealed class DeadlineStateMachine : MassTransitStateMachine<DeadlineState>
{
    public static readonly TimeSpan DeadlineDelay = TimeSpan.FromSeconds(2);

    public DeadlineStateMachine(DeadlineObservations observations)
    {
        InstanceState(x => x.CurrentState);
        Schedule(() => Deadline, x => x.DeadlineTokenId, s => s.Delay = DeadlineDelay);

        Initially(
            When(Started)
                // Noted before scheduling: the due time is fixed inside Schedule, after this moment.
                .Then(context => observations.ScheduleCalledAt[context.Saga.CorrelationId] = DateTimeOffset.UtcNow)
                .Schedule(Deadline, context => new WorkDeadlineExpired(context.Saga.CorrelationId))
                .Then(context => observations.Scheduled[context.Saga.CorrelationId] =
                    new ScheduledDeadline(context.Saga.DeadlineTokenId!.Value, observations.ScheduleCalledAt[context.Saga.CorrelationId]))
                .TransitionTo(Working));
        During(Working,
            When(Done)
                .Unschedule(Deadline)
                .Then(context => observations.Finished[context.Saga.CorrelationId] = DateTimeOffset.UtcNow)
                .TransitionTo(Finished),
            When(Deadline.Received)
                .Then(context => observations.Expired[context.Saga.CorrelationId] = DateTimeOffset.UtcNow)
                .TransitionTo(TimedOut));
        During(Finished, TimedOut,
            When(Deadline.Received)
                .Then(context => observations.Expired[context.Saga.CorrelationId] = DateTimeOffset.UtcNow));
    }

    public State Working { get; private set; } = null!;
    public State Finished { get; private set; } = null!;
    public State TimedOut { get; private set; } = null!;
    public Event<WorkStarted> Started { get; private set; } = null!;
    public Event<WorkFinished> Done { get; private set; } = null!;
    public Schedule<DeadlineState, WorkDeadlineExpired> Deadline { get; private set; } = null!;
}
