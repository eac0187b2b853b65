namespace Sluice.Testing;

/// <summary>Waits for a state another party reaches (a server received a call, a budget drained): polls, and fails
/// the test after a generous timeout rather than timing anything.</summary>
public static class Eventually
{
    public static async Task Until(Func<bool> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The condition did not hold within {limit.TotalSeconds} s.");
            }
            await Task.Delay(10);
        }
    }
}
