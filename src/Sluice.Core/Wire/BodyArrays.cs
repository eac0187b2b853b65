using System.Buffers;
using System.Numerics;

namespace Sluice.Wire;

/// <summary>
/// Where the request path's byte arrays come from. Small ones are pooled. Large ones (request bodies of megabytes,
/// their upstream copies) are allocated for the request and left to the GC: the shared pool keeps whatever it is
/// given, per core and per thread, so pooling a 16 MB array would keep it alive long after the burst that needed it.
/// </summary>
internal static class BodyArrays
{
    /// <summary>Largest array taken from (and given back to) the shared pool.</summary>
    public const int MaxPooledLength = 1024 * 1024;

    public static byte[] Rent(int minimumLength) => minimumLength <= MaxPooledLength
        ? ArrayPool<byte>.Shared.Rent(minimumLength)
        : GC.AllocateUninitializedArray<byte>(minimumLength);

    /// <summary>The length of the array <see cref="Rent"/> returns: the shared pool rounds up to a power of two (16 at
    /// least), a large array is exact. Lets a budget be asked before anything is allocated.</summary>
    public static int LengthFor(int minimumLength) => minimumLength <= MaxPooledLength
        ? (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumLength, 16))
        : minimumLength;

    /// <summary>Gives a pooled array back; a large one is simply dropped.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length is > 0 and <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
