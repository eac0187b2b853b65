namespace Sluice.Wire;

/// <summary>
/// A request body read into memory: one array (pooled when small), counted against the
/// <see cref="RequestBodyBudget"/> until disposed, when the array goes back and the budget is given its share.
/// </summary>
public sealed class BufferedBody : IDisposable
{
    private readonly RequestBodyBudget? _budget;
    private byte[] _array;
    private long _held;

    private BufferedBody(byte[] array, int length, RequestBodyBudget? budget, long held)
    {
        _array = array;
        Length = length;
        _budget = budget;
        _held = held;
    }

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>Takes ownership of a body already in a pooled array (tests, benchmarks); it counts against no budget.</summary>
    public static BufferedBody FromPooled(byte[] array, int length) => new(array, length, null, 0);

    /// <summary>An empty body of <paramref name="capacity"/> bytes, or null when the budget cannot spare them.</summary>
    internal static BufferedBody? TryCreate(int capacity, RequestBodyBudget? budget)
    {
        var length = BodyArrays.LengthFor(capacity);
        if (budget is not null && !budget.TryTake(length))
        {
            return null;
        }
        return new BufferedBody(BodyArrays.Rent(capacity), 0, budget, budget is null ? 0 : length);
    }

    internal bool IsFull => Length == _array.Length;

    internal int Capacity => _array.Length;

    internal Memory<byte> Free => _array.AsMemory(Length);

    internal void Advance(int count) => Length += count;

    /// <summary>Moves the body to an array of <paramref name="capacity"/> bytes; false when the budget cannot spare it
    /// (both arrays are held while the bytes are copied).</summary>
    internal bool TryGrow(int capacity)
    {
        var length = BodyArrays.LengthFor(capacity);
        if (_budget is not null && !_budget.TryTake(length))
        {
            return false;
        }
        var larger = BodyArrays.Rent(capacity);
        Span.CopyTo(larger);
        BodyArrays.Return(_array);
        if (_budget is not null)
        {
            _budget.Give(_array.Length);
            _held += length - _array.Length;
        }
        _array = larger;
        return true;
    }

    /// <summary>Takes <paramref name="bytes"/> more from the budget for what the request will build from this body.</summary>
    internal bool TryHold(long bytes)
    {
        if (_budget is null)
        {
            return true;
        }
        if (!_budget.TryTake(bytes))
        {
            return false;
        }
        _held += bytes;
        return true;
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, []);
        if (array.Length == 0)
        {
            return;
        }
        BodyArrays.Return(array);
        Length = 0;
        _budget?.Give(_held);
        _held = 0;
    }
}
