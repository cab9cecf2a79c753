using ImageBus.Worker.Generation;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Throttling;

/// <summary>The <see cref="WorkerOptions.Concurrency"/> images a worker generates at once. An image holds a slot for its
/// work and gives it up while it waits for its turn at the shared budget, so that waiting images (up to
/// <see cref="WorkerOptions.MaxWaiting"/> more) cost no generating capacity and the images behind them reach the budget.
/// Once the worker is stopping no slot is given: an image not yet generating waits until its consume is cancelled at the
/// end of <see cref="WorkerOptions.ShutdownGrace"/>, and its command goes back to the queue for another worker.</summary>
public sealed class GenerationSlots(IOptions<WorkerOptions> options, IHostApplicationLifetime lifetime) : IDisposable
{
    readonly SemaphoreSlim free = new(options.Value.Concurrency, options.Value.Concurrency);

    static readonly AsyncLocal<GenerationSlot?> current = new();

    /// <summary>The slot of the image being made in this flow, if any: the Gemini client's budget wait finds it here
    /// (the client knows nothing of slots). Set by the consumer itself: an async local set in a callee does not reach it.</summary>
    public static GenerationSlot? Current
    {
        get => current.Value;
        set => current.Value = value;
    }

    /// <summary>Waits for a slot; dispose it when the image is done.</summary>
    public async Task<GenerationSlot> TakeAsync(CancellationToken ct)
    {
        var slot = new GenerationSlot(this, held: false);
        await slot.ReturnAsync(ct);
        return slot;
    }

    internal async Task EnterAsync(CancellationToken ct)
    {
        await free.WaitAsync(ct);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            free.Release();
            await Task.Delay(Timeout.Infinite, ct);
        }
    }

    internal void Exit() => free.Release();

    public void Dispose() => free.Dispose();
}

/// <summary>One image's generating slot, used by one flow at a time.</summary>
public sealed class GenerationSlot(GenerationSlots slots, bool held) : IDisposable
{
    /// <summary>Gives the slot up while the image waits.</summary>
    public void Leave()
    {
        if (held)
        {
            held = false;
            slots.Exit();
        }
    }

    /// <summary>Takes the slot back (waiting for one to free) unless still held.</summary>
    public async Task ReturnAsync(CancellationToken ct)
    {
        if (!held)
        {
            await slots.EnterAsync(ct);
            held = true;
        }
    }

    public void Dispose() => Leave();
}
