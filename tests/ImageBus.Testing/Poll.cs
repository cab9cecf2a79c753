namespace ImageBus.Testing;

/// <summary>Waiting for something another process or thread brings about, by asking again until it holds.</summary>
public static class Poll
{
    /// <summary>Asks <paramref name="condition"/> every <paramref name="every"/> (200 ms) until it holds; false when
    /// <paramref name="timeout"/> passed first.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
        }

        return true;
    }
}
