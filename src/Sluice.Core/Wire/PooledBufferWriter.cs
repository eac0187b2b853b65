using System.Buffers;

namespace Sluice.Wire;

/// <summary>An <see cref="IBufferWriter{T}"/> over arrays from <see cref="BodyArrays"/> (pooled up to 1 MiB), returned
/// on dispose. Used for upstream request bodies and translated responses, so the request path allocates no buffers
/// beyond those, and no megabyte array outlives its request in a pool.</summary>
public sealed class PooledBufferWriter(int initialCapacity = 4096) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = BodyArrays.Rent(initialCapacity);
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public int WrittenCount => _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Clear() => _written = 0;

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }
        var larger = BodyArrays.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        BodyArrays.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            BodyArrays.Return(_buffer);
            _buffer = [];
            _written = 0;
        }
    }
}
