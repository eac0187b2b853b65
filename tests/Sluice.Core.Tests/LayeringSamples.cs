// Two tiny folders for FolderLayeringTests to read: Upper names Lower only inside method bodies.
namespace Sluice.Core.Tests.LayeringSamples.Lower
{
    internal sealed class Bottom
    {
        public int Value => 1;
    }
}

namespace Sluice.Core.Tests.LayeringSamples.Upper
{
    internal static class Top
    {
        public static Func<int> Later() => () => new Lower.Bottom().Value;

        public static async Task<int> LaterAsync()
        {
            await Task.Yield();
            return new Lower.Bottom().Value;
        }
    }
}
