using Microsoft.Extensions.Caching.Memory;

namespace Sluice.Accounts;

/// <summary>
/// Key hashes recently looked up and found unknown, so a client repeating a wrong key costs one storage read per
/// lifetime, not one per request. Bounded in both ways that matter against a flood of random keys: at most
/// <c>capacity</c> entries (when full, new hashes are simply not remembered and are looked up again, which the failed
/// authentication throttle bounds) and each for <c>lifetime</c> only.
/// <para>
/// A key created after its hash was remembered here cannot happen in practice: a secret is 256 random bits generated
/// at creation, so nobody can present it before it exists. Creation still drops the hash on this instance
/// (<see cref="GatewayAuthenticator.Forget(ApiKey)"/>), so even a future import of a known secret is not shadowed here;
/// other instances would see it within the lifetime, the same bound every key change has.
/// </para>
/// </summary>
internal sealed class UnknownKeyCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _lifetime;

    public UnknownKeyCache(int capacity, TimeSpan lifetime, TimeProvider time)
    {
        _lifetime = lifetime;
#pragma warning disable CS0618 // MemoryCacheOptions takes its clock as ISystemClock only; this adapts the injected TimeProvider.
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity, Clock = new Clock(time) });
#pragma warning restore CS0618
    }

    public int Count => _cache.Count;

    public bool Contains(string hash) => _cache.TryGetValue(hash, out _);

    public void Add(string hash) => _cache.Set(hash, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _lifetime });

    public void Remove(string hash) => _cache.Remove(hash);

    public void Dispose() => _cache.Dispose();

#pragma warning disable CS0618
    private sealed class Clock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}
