using ImageBus.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Orchestrator.Tenants;

/// <summary>
/// At most <see cref="JobOptions.MaxGeneratingPerTenant"/> jobs of a tenant generate at once; the
/// others wait in arrival order and are granted a slot as slots free. Requests and releases are
/// idempotent, so a redelivered message never takes or frees a second slot.
/// </summary>
public sealed class TenantSlotStateMachine : MassTransitStateMachine<TenantSlots>
{
    public TenantSlotStateMachine(IOptions<JobOptions> options)
    {
        var limit = options.Value.MaxGeneratingPerTenant;
        InstanceState(t => t.CurrentState);

        Event(() => SlotRequested, e => e.CorrelateById(m => m.Message.TenantSlotsId));
        Event(() => SlotReleased, e =>
        {
            e.CorrelateById(m => m.Message.TenantSlotsId);
            e.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(SlotRequested)
                .Then(context => context.Saga.TenantId = context.Message.TenantId)
                .TransitionTo(Active)
                .ThenAsync(context => Admit(context, limit)));

        During(Active,
            When(SlotRequested).ThenAsync(context => Admit(context, limit)),
            When(SlotReleased).ThenAsync(context => Release(context, limit)));
    }

    public State Active { get; private set; } = null!;
    public Event<RequestJobSlot> SlotRequested { get; private set; } = null!;
    public Event<ReleaseJobSlot> SlotReleased { get; private set; } = null!;

    static Task Admit(BehaviorContext<TenantSlots, RequestJobSlot> context, int limit)
    {
        var slots = context.Saga;
        var job = context.Message.JobId;
        if (slots.Generating.Contains(job))
        {
            // A repeated request: the grant may have been lost with a crash, so give it again.
            return context.Publish(new JobSlotGranted(job));
        }

        if (!slots.Waiting.Contains(job))
        {
            slots.Waiting.Add(job);
        }

        return GrantFreeSlots(context, limit);
    }

    static Task Release(BehaviorContext<TenantSlots, ReleaseJobSlot> context, int limit)
    {
        context.Saga.Generating.Remove(context.Message.JobId);
        context.Saga.Waiting.Remove(context.Message.JobId);
        return GrantFreeSlots(context, limit);
    }

    static async Task GrantFreeSlots(BehaviorContext<TenantSlots> context, int limit)
    {
        var slots = context.Saga;
        while (slots.Generating.Count < limit && slots.Waiting.Count > 0)
        {
            var next = slots.Waiting[0];
            slots.Waiting.RemoveAt(0);
            slots.Generating.Add(next);
            await context.Publish(new JobSlotGranted(next));
        }
    }
}
