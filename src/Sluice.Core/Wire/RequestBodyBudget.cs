using System.Numerics;

namespace Sluice.Wire;

/// <summary>
/// The memory that request bodies hold at once, across all requests, against a capacity in bytes
/// (<c>Sluice:Proxy:MaxBufferedRequestBytes</c>, given by the composition root).
/// A body takes its share before it is read (by Content-Length) or as it grows (chunked), and gives it back when the
/// request ends; a request that does not fit is refused with 503 and <c>Retry-After</c> rather than admitted to grow
/// the process past what the instance has. Without it, 20 concurrent 16 MB bodies took a host from 540 MiB to 2.4 GiB.
/// </summary>
public sealed class RequestBodyBudget(long capacity, TimeProvider time)
{
    /// <summary>Least time between two collections after bursts.</summary>
    private static readonly TimeSpan s_collectionInterval = TimeSpan.FromMinutes(1);

    private long _held;
    private long _highWater;
    private long _lastCollection = long.MinValue;

    public long Capacity { get; } = capacity;

    /// <summary>Bytes held by requests in flight.</summary>
    public long Held => Interlocked.Read(ref _held);

    public bool TryTake(long bytes)
    {
        var capacity = Capacity;
        while (true)
        {
            var held = Interlocked.Read(ref _held);
            if (held + bytes > capacity)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _held, held + bytes, held) == held)
            {
                if (held + bytes > Interlocked.Read(ref _highWater))
                {
                    // A racing update may lower it a little; it only decides whether a burst was large.
                    Interlocked.Exchange(ref _highWater, held + bytes);
                }
                return true;
            }
        }
    }

    public void Give(long bytes)
    {
        var held = Interlocked.Add(ref _held, -bytes);
        if (held < Capacity / 16 && Interlocked.Read(ref _highWater) > Capacity / 4)
        {
            CollectAfterBurst();
        }
    }

    /// <summary>
    /// A burst of large bodies leaves hundreds of megabytes of arrays that no request holds, but the GC only looks
    /// at them when something else allocates: an instance that goes quiet after the burst would keep them resident.
    /// Once the budget drains after holding more than a quarter of its capacity, one background collection runs (at
    /// most one a minute), and the memory goes back to the system.
    /// </summary>
    private void CollectAfterBurst()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastCollection);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < s_collectionInterval
            || Interlocked.CompareExchange(ref _lastCollection, now, last) != last)
        {
            return;
        }
        Interlocked.Exchange(ref _highWater, 0);
        ThreadPool.UnsafeQueueUserWorkItem(static _ => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true), null);
    }

    /// <summary>
    /// What a request holds because of its body beyond the body's own array: the parsed document's index, and the
    /// body rewritten for the upstream (written once, then copied into the outgoing message).
    /// </summary>
    /// <remarks>System.Text.Json's document rents an index of about one byte per body byte, rounded up to a power of
    /// two by the pool, and grows it by doubling (12 bytes per token) when the JSON is denser than a token per 12
    /// bytes. Every token but the root follows one of <c>, : [ {</c>, and each container adds an end token, so
    /// counting those four bounds the index without parsing: text-heavy bodies (prompts) stay near one byte per
    /// byte, and a body of <c>[1,1,1,…]</c> is charged the six times its size it really costs.</remarks>
    internal static long WorkingSet(ReadOnlySpan<byte> body)
    {
        long containers = body.Count((byte)'[') + body.Count((byte)'{');
        var tokens = containers * 2 + body.Count((byte)',') + body.Count((byte)':') + 1;
        var index = Math.Max((long)BitOperations.RoundUpToPowerOf2((uint)body.Length + 12), 3 * 12 * tokens);
        return index + 2L * body.Length;
    }
}
