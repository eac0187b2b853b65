using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// Finds the top-level <c>usage</c> object of a non-streamed <c>chat.completion</c> while its bytes are relayed, so
/// the gateway never holds the whole body. A small state machine tracks JSON depth and strings; only the usage
/// object's bytes (a few hundred) and a bounded sample of the body (to estimate from if usage is missing) are kept.
/// </summary>
public sealed class JsonUsageScanner(int sampleByteLimit = 64 * 1024) : IDisposable
{
    private const int MaxUsageBytes = 4096;
    private static ReadOnlySpan<byte> UsageKey => "usage"u8;

    private readonly PooledBufferWriter _sample = new(4096);
    private PooledBufferWriter? _usage;
    private int _depth;
    private bool _inString;
    private bool _escape;
    private int _keyMatched;       // bytes of "usage" matched so far in the current depth-1 string; -1 once it differs
    private bool _lastKeyIsUsage;  // the last depth-1 string was exactly "usage"
    private bool _expectUsageValue;
    private bool _capturing;
    private long _total;

    /// <summary>Bytes seen so far.</summary>
    public long Length => _total;

    /// <summary>Whether <see cref="Sample"/> holds the whole body.</summary>
    public bool SampleIsWhole => _total <= sampleByteLimit;

    public ReadOnlySpan<byte> Sample => _sample.WrittenSpan;

    public void Append(ReadOnlySpan<byte> data)
    {
        var room = sampleByteLimit - _sample.WrittenCount;
        if (room > 0)
        {
            var take = data[..Math.Min(room, data.Length)];
            take.CopyTo(_sample.GetSpan(take.Length));
            _sample.Advance(take.Length);
        }
        _total += data.Length;

        for (var i = 0; i < data.Length; i++)
        {
            var b = data[i];
            if (_capturing)
            {
                Capture(b);
            }
            if (_inString)
            {
                if (_escape)
                {
                    _escape = false;
                    _keyMatched = -1;
                }
                else if (b == (byte)'\\')
                {
                    _escape = true;
                }
                else if (b == (byte)'"')
                {
                    _inString = false;
                    _lastKeyIsUsage = _depth == 1 && _keyMatched == UsageKey.Length;
                }
                else if (_depth == 1 && _keyMatched >= 0)
                {
                    _keyMatched = _keyMatched < UsageKey.Length && UsageKey[_keyMatched] == b ? _keyMatched + 1 : -1;
                }
                continue;
            }
            switch (b)
            {
                case (byte)'"':
                    _inString = true;
                    _keyMatched = 0;
                    break;
                case (byte)':':
                    _expectUsageValue = _depth == 1 && _lastKeyIsUsage;
                    break;
                case (byte)'{' or (byte)'[':
                    _depth++;
                    if (_expectUsageValue && _depth == 2 && b == (byte)'{' && _usage is null)
                    {
                        _usage = new PooledBufferWriter(512);
                        _capturing = true;
                        Capture(b);
                    }
                    _expectUsageValue = false;
                    break;
                case (byte)'}' or (byte)']':
                    _depth--;
                    if (_capturing && _depth == 1)
                    {
                        _capturing = false;
                    }
                    break;
                case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t':
                    break;
                default:
                    _expectUsageValue = false;
                    _lastKeyIsUsage = false;
                    break;
            }
        }
    }

    private void Capture(byte b)
    {
        if (_usage!.WrittenCount >= MaxUsageBytes)
        {
            _capturing = false;
            _usage.Clear();
            return;
        }
        _usage.GetSpan(1)[0] = b;
        _usage.Advance(1);
    }

    /// <summary>The top-level <c>usage</c> object's bytes once read whole, else empty: for wire formats whose usage
    /// fields are not OpenAI's.</summary>
    public ReadOnlySpan<byte> UsageJson => _usage is null || _capturing ? default : _usage.WrittenSpan;

    /// <summary>The usage the body carried, or null when it had none (or it could not be read).</summary>
    public TokenUsage? Usage
    {
        get
        {
            if (_usage is null || _capturing || _usage.WrittenCount == 0)
            {
                return null;
            }
            try
            {
                var reader = new Utf8JsonReader(_usage.WrittenSpan);
                reader.Read();
                return ChunkInspector.ReadUsage(ref reader);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public void Dispose()
    {
        _sample.Dispose();
        _usage?.Dispose();
    }
}
