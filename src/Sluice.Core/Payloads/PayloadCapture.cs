using System.Buffers;

namespace Sluice.Payloads;

/// <summary>
/// The copy of an opted-in request's response that will be stored, filled by <see cref="Observe"/> as the relay
/// writes to the client. It never holds more than the payload cap: past it, bytes still go to the client but
/// are only counted, and the stored copy is marked truncated. Only ever created for a request that stores content,
/// so a metadata-only account's bytes never reach it.
/// </summary>
public sealed class PayloadCapture(int maxBytes, int contentDays) : IDisposable
{
    private const int InitialSize = 16 * 1024;
    private byte[] _buffer = [];
    private int _length;

    /// <summary>Maximum bytes kept, for the request and for the response each.</summary>
    public int MaxBytes { get; } = maxBytes;

    /// <summary>Days the content is kept: the account's period, shortened by the request if it asked.</summary>
    public int ContentDays { get; } = contentDays;

    /// <summary>Response bytes the client received, kept or not.</summary>
    public long ObservedBytes { get; private set; }

    public bool Truncated => ObservedBytes > _length;

    /// <summary><c>sse</c> for a stream, <c>json</c> otherwise.</summary>
    public bool IsStream { get; set; }

    public ReadOnlySpan<byte> Response => _buffer.AsSpan(0, _length);

    /// <summary>Matches <c>ResponseRelay</c>'s <c>observe</c> callback.</summary>
    public void Observe(ReadOnlySpan<byte> bytes)
    {
        ObservedBytes += bytes.Length;
        var take = Math.Min(bytes.Length, MaxBytes - _length);
        if (take <= 0)
        {
            return;
        }
        if (_length + take > _buffer.Length)
        {
            var size = Math.Min(MaxBytes, Math.Max(InitialSize, Math.Max(_length + take, _buffer.Length * 2)));
            var larger = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, _length).CopyTo(larger);
            Return();
            _buffer = larger;
        }
        bytes[..take].CopyTo(_buffer.AsSpan(_length));
        _length += take;
    }

    public void Dispose()
    {
        Return();
        _buffer = [];
        _length = 0;
    }

    private void Return()
    {
        if (_buffer.Length > 0)
        {
            // Cleared on return: the pool must not hand a customer's content to the next renter.
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
        }
    }
}
