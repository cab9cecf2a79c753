using System.Linq.Expressions;
using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Orchestrator.Tenants;
using ImageBus.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// The life of one job: pending (waiting for one of its tenant's slots) → generating → completed |
/// partial | failed, or cancelled, or rejected when the case is invalid. A scheduled deadline ends
/// every job in time whatever fails around it; a scheduled image check sends an unanswered image
/// once more and then times it out. Every transition is safe to receive twice, and every change
/// publishes an event with the job's next sequence number.
/// </summary>
public sealed class JobStateMachine : MassTransitStateMachine<JobState>
{
    public JobStateMachine(IOptions<JobOptions> options, IOptions<GeminiOptions> models, TimeProvider clock)
    {
        var jobs = new JobTransitions(options.Value, models.Value, clock);

        InstanceState(j => j.CurrentState);

        Event(() => CaseSubmitted, e => e.CorrelateById(context => JobIdOf(context.Message, context.MessageId)));
        Event(() => UnstartedJobExpired, e => e.CorrelateById(context => context.Message.JobId));
        CorrelateToExistingJob(() => ImageGenerated, m => m.JobId);
        CorrelateToExistingJob(() => ImageFailed, m => m.JobId);
        CorrelateToExistingJob(() => ImageStepDone, m => m.JobId);
        CorrelateToExistingJob(() => BatchAbandoned, m => m.JobId);
        CorrelateToExistingJob(() => ImageFaulted, m => m.Message.JobId);
        CorrelateToExistingJob(() => SlotGranted, m => m.JobId);
        CorrelateToExistingJob(() => RetryRequested, m => m.JobId);
        CorrelateToExistingJob(() => CancelRequested, m => m.JobId);
        CorrelateToExistingJob(() => ForceFailRequested, m => m.JobId);

        Schedule(() => JobDeadline, j => j.JobDeadlineTokenId, s =>
        {
            s.Delay = options.Value.JobDeadline;
            s.Received = e => e.CorrelateById(m => m.Message.JobId);
        });
        Schedule(() => ImageCheck, j => j.ImageCheckTokenId, s =>
        {
            s.Delay = options.Value.ImageDeadline;
            s.Received = e => e.CorrelateById(m => m.Message.JobId);
        });

        Initially(
            When(CaseSubmitted)
                .Then(context => jobs.Accept(context.Saga, context.Message))
                .IfElse(context => context.Saga.FailureReason is null,
                    accepted => accepted
                        .Schedule(JobDeadline, context => new JobDeadlineExpired(context.Saga.CorrelationId),
                            context => context.Saga.DeadlineAt!.Value - clock.GetUtcNow())
                        .TransitionTo(Pending)
                        .ThenAsync(context => context.Publish(jobs.Accepted(context.Saga)))
                        .IfElse(context => context.Saga.IsBatch, StartWithoutSlot, waitForSlot => waitForSlot.ThenAsync(RequestSlot)),
                    rejected => rejected
                        .TransitionTo(Rejected)
                        .ThenAsync(jobs.Reject)),
            When(UnstartedJobExpired)
                .Then(context => jobs.FailUnstarted(context.Saga, context.Message))
                .TransitionTo(Failed)
                .ThenAsync(context => context.Publish((JobFailed)jobs.Finish(context.Saga))));

        During(Pending,
            When(SlotGranted)
                .TransitionTo(Generating)
                .ThenAsync(jobs.Start)
                .Schedule(ImageCheck, context => new ImageDeadlineCheck(context.Saga.CorrelationId)));

        // A batch job's images wait at Gemini, not in a worker: it takes none of its tenant's generating slots, which pace live calls.
        EventActivityBinder<JobState, T> StartWithoutSlot<T>(EventActivityBinder<JobState, T> binder)
            where T : class =>
            binder
                .TransitionTo(Generating)
                .ThenAsync(jobs.Start)
                .Schedule(ImageCheck, context => new ImageDeadlineCheck(context.Saga.CorrelationId));

        During(Generating,
            // A staged image's step is reported before its result even when the result is applied first.
            When(ImageGenerated)
                .ThenAsync(context => PublishStep(context, jobs, jobs.RecordStep(context.Saga, context.Message.ItemId, context.Message.Attempt,
                    context.Message.Analysis, billedCalls: 0)))
                .ThenAsync(context => PublishProgress(context, jobs, jobs.RecordSuccess(context.Saga, context.Message)))
                .If(context => context.Saga.AllImagesFinished, finished => finished.ThenAsync(context => End(context, jobs))),
            When(ImageFailed)
                .ThenAsync(context => PublishStep(context, jobs, jobs.RecordStep(context.Saga, context.Message.ItemId, context.Message.Attempt,
                    context.Message.Analysis, billedCalls: 0)))
                .ThenAsync(context => PublishProgress(context, jobs, jobs.RecordFailure(context.Saga, context.Message)))
                .If(context => context.Saga.AllImagesFinished, finished => finished.ThenAsync(context => End(context, jobs))),
            When(ImageFaulted)
                .ThenAsync(context => PublishProgress(context, jobs, jobs.RecordFault(context.Saga, context.Message)))
                .If(context => context.Saga.AllImagesFinished, finished => finished.ThenAsync(context => End(context, jobs))),
            When(BatchAbandoned)
                .ThenAsync(jobs.FallBackToLive),
            // Step 1 of a staged image: no image ends, so the job does not either; its deadlines keep running.
            When(ImageStepDone)
                .ThenAsync(context => PublishStep(context, jobs, jobs.RecordStep(context.Saga, context.Message.ItemId, context.Message.Attempt,
                    context.Message.Analysis, context.Message.BilledCalls))),
            When(ImageCheck.Received)
                .ThenAsync(jobs.CheckImages)
                .IfElse(context => context.Saga.AllImagesFinished,
                    finished => finished.ThenAsync(context => End(context, jobs)),
                    waiting => waiting.Schedule(ImageCheck, context => new ImageDeadlineCheck(context.Saga.CorrelationId),
                        context => jobs.UntilNextImageDeadline(context.Saga))));

        During(Pending, Generating,
            When(JobDeadline.Received)
                .Then(context => jobs.TimeOut(context.Saga, "the job reached its deadline"))
                .ThenAsync(context => End(context, jobs)),
            When(ForceFailRequested)
                .Then(context => jobs.TimeOut(context.Saga, context.Message.Reason))
                .ThenAsync(context => End(context, jobs, forceFailed: true)),
            When(CancelRequested)
                .TransitionTo(Cancelled)
                .ThenAsync(context => EndCancelled(context, jobs)));

        During(Partial, Failed,
            When(RetryRequested)
                .TransitionTo(Pending)
                .ThenAsync(context => context.Publish(jobs.Retry(context.Saga)))
                .Schedule(JobDeadline, context => new JobDeadlineExpired(context.Saga.CorrelationId),
                    context => context.Saga.DeadlineAt!.Value - clock.GetUtcNow())
                .IfElse(context => context.Saga.IsBatch, StartWithoutSlot, waitForSlot => waitForSlot.ThenAsync(RequestSlot)));

        // A replayed command's success (see JobTransitions.IsReplayedSuccess) completes its image after the job ended;
        // once every image is completed the job is completed, with its events as usual.
        During(Partial, Failed,
            When(ImageGenerated)
                .ThenAsync(context => PublishProgress(context, jobs, jobs.RecordSuccess(context.Saga, context.Message)))
                .If(context => context.Saga.Counts.Completed == context.Saga.Counts.Total,
                    completed => completed.ThenAsync(context => End(context, jobs))));

        // Results that come after their image or job ended are kept on the image, never reopen the job.
        During([Pending, Completed, Cancelled, Rejected],
            When(ImageGenerated).Then(context => jobs.RecordSuccess(context.Saga, context.Message)));
        During([Pending, Completed, Partial, Failed, Cancelled, Rejected],
            When(ImageFailed).Then(context => jobs.RecordFailure(context.Saga, context.Message)),
            When(ImageFaulted).Then(context => jobs.RecordFault(context.Saga, context.Message)),
            Ignore(ImageStepDone),
            Ignore(BatchAbandoned));

        // A repeated grant to a generating job is its own slot again: keep it. A slot granted to a job
        // that no longer waits for one goes straight back.
        During(Generating, Ignore(SlotGranted));
        During([Completed, Partial, Failed, Cancelled, Rejected],
            When(SlotGranted).ThenAsync(context => ReleaseSlot(context)));

        // A job is created once: a repeated command for a known job changes nothing; so do
        // deadlines and checks that fire after the job ended, and commands that do not apply.
        DuringAny(Ignore(CaseSubmitted), Ignore(UnstartedJobExpired));
        During([Completed, Partial, Failed, Cancelled, Rejected],
            Ignore(JobDeadline.Received),
            Ignore(ImageCheck.Received),
            Ignore(CancelRequested),
            Ignore(ForceFailRequested));
        During(Pending, Ignore(ImageCheck.Received));
        During([Pending, Generating, Completed, Cancelled, Rejected], Ignore(RetryRequested));
    }

    public State Pending { get; private set; } = null!;
    public State Generating { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Partial { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;
    public State Rejected { get; private set; } = null!;

    public Event<GenerateCaseImages> CaseSubmitted { get; private set; } = null!;
    public Event<ImageGenerated> ImageGenerated { get; private set; } = null!;
    public Event<ImageGenerationFailed> ImageFailed { get; private set; } = null!;
    public Event<Fault<GenerateImage>> ImageFaulted { get; private set; } = null!;
    public Event<ImageStepCompleted> ImageStepDone { get; private set; } = null!;
    public Event<BatchImageAbandoned> BatchAbandoned { get; private set; } = null!;
    public Event<JobSlotGranted> SlotGranted { get; private set; } = null!;
    public Event<RetryFailedImages> RetryRequested { get; private set; } = null!;
    public Event<CancelCaseImages> CancelRequested { get; private set; } = null!;
    public Event<ForceFailJob> ForceFailRequested { get; private set; } = null!;
    public Event<FailUnstartedJob> UnstartedJobExpired { get; private set; } = null!;

    public Schedule<JobState, JobDeadlineExpired> JobDeadline { get; private set; } = null!;
    public Schedule<JobState, ImageDeadlineCheck> ImageCheck { get; private set; } = null!;

    /// <summary>The publisher's job id: the same id again is the same job. A missing id gets the message's own,
    /// so the case can be rejected.</summary>
    static Guid JobIdOf(GenerateCaseImages command, Guid? messageId) =>
        command.JobId != Guid.Empty ? command.JobId : messageId ?? NewId.NextGuid();

    void CorrelateToExistingJob<T>(Expression<Func<Event<T>>> @event, Func<T, Guid> jobId)
        where T : class =>
        Event(@event, e =>
        {
            e.CorrelateById(context => jobId(context.Message));
            e.OnMissingInstance(m => m.Discard());
        });

    static Task RequestSlot<T>(BehaviorContext<JobState, T> context)
        where T : class =>
        context.Publish(new RequestJobSlot(TenantSlots.ForTenant(context.Saga.TenantId), context.Saga.TenantId, context.Saga.CorrelationId));

    static Task ReleaseSlot(BehaviorContext<JobState> context) =>
        context.Publish(new ReleaseJobSlot(TenantSlots.ForTenant(context.Saga.TenantId), context.Saga.CorrelationId));

    static Task PublishStep<T>(BehaviorContext<JobState, T> context, JobTransitions jobs, JobImage? stepped)
        where T : class =>
        stepped is null ? Task.CompletedTask : context.Publish(jobs.StepCompleted(context.Saga, stepped));

    static Task PublishProgress<T>(BehaviorContext<JobState, T> context, JobTransitions jobs, JobImage? applied)
        where T : class =>
        applied is null ? Task.CompletedTask : context.Publish(jobs.Progressed(context.Saga, applied));

    /// <summary>Ends the job by its images: completed when all were generated, partial when some
    /// were, failed when none was (or when forced); frees its slot and stops its timers.</summary>
    async Task End<T>(BehaviorContext<JobState, T> context, JobTransitions jobs, bool forceFailed = false)
        where T : class
    {
        var counts = context.Saga.Counts;
        var ending = forceFailed || counts.Completed == 0 ? Failed : counts.Completed == counts.Total ? Completed : Partial;
        await context.TransitionToState(ending);
        await StopTimersAndReleaseSlot(context);
        var finished = jobs.Finish(context.Saga);
        await context.Publish(finished, finished.GetType());
    }

    static async Task EndCancelled(BehaviorContext<JobState, CancelCaseImages> context, JobTransitions jobs)
    {
        await StopTimersAndReleaseSlot(context);
        await context.Publish(jobs.Cancel(context.Saga, context.Message.Reason ?? "cancelled by request"));
    }

    static async Task StopTimersAndReleaseSlot<T>(BehaviorContext<JobState, T> context)
        where T : class
    {
        await CancelSchedule(context, context.Saga.JobDeadlineTokenId);
        await CancelSchedule(context, context.Saga.ImageCheckTokenId);
        context.Saga.JobDeadlineTokenId = null;
        context.Saga.ImageCheckTokenId = null;
        await ReleaseSlot(context);
    }

    static async Task CancelSchedule<T>(BehaviorContext<JobState, T> context, Guid? token)
        where T : class
    {
        if (token is { } tokenId)
        {
            await context.GetPayload<MessageSchedulerContext>().CancelScheduledSend(context.ReceiveContext.InputAddress, tokenId);
        }
    }
}
