using System.Text;
using Sluice.Providers;

namespace Sluice.Core.Tests.Translation;

/// <summary>A hub stream from a list of chunks, ending with [DONE] (<paramref name="completed"/>) or breaking off.</summary>
internal sealed class ListEventStream(IReadOnlyList<string> chunks, bool completed) : IChatEventStream
{
    private int _next;

    /// <summary>How many chunks the reader took.</summary>
    public int Delivered => _next;

    public ReadOnlyMemory<byte> Current { get; private set; }

    public bool Completed { get; private set; }

    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_next < chunks.Count)
        {
            Current = Encoding.UTF8.GetBytes(chunks[_next++]);
            return ValueTask.FromResult(true);
        }
        Completed = completed;
        return ValueTask.FromResult(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
