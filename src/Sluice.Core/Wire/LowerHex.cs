using System.Buffers;

namespace Sluice.Wire;

/// <summary>The digits of every id Sluice mints (accounts, keys, data keys, requests): lowercase hex only.</summary>
internal static class LowerHex
{
    public static readonly SearchValues<char> Digits = SearchValues.Create("0123456789abcdef");
}
