using Sluice.Wire;

namespace Sluice.Testing;

/// <summary>Lets a test take an <see cref="Outcome{T}"/> apart and assert on each half
/// (<c>var (account, error) = ...; Assert.Null(error);</c>). Product code branches with <c>TryGet</c> instead.</summary>
public static class OutcomeParts
{
    public static void Deconstruct<T>(this Outcome<T> outcome, out T? value, out ApiError? error)
    {
        value = outcome.Value;
        error = outcome.Error;
    }
}
