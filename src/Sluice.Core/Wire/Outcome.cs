using System.Diagnostics.CodeAnalysis;

namespace Sluice.Wire;

/// <summary>
/// What a step that can be refused hands back: either its value or the <see cref="ApiError"/> that answers the caller,
/// never both and never neither. It converts implicitly from either, so a method returns <c>caller</c> or
/// <c>ApiError.Forbidden(...)</c> as it is, and a call site reads
/// <c>if (!outcome.TryGet(out var caller, out var error)) return error;</c> with the compiler knowing which is set.
/// </summary>
/// <remarks>A struct, so the per-request steps (authentication, body reads) allocate nothing for it. The default value
/// is not an outcome; every one comes from a value or an error. Where "nothing" is a successful answer (no Owner
/// witness needed), <typeparamref name="T"/> is a nullable value type and the value of a success may be null.</remarks>
public readonly record struct Outcome<T>
{
    private readonly T? _value;

    private Outcome(T value, ApiError? error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>The refusal; <see langword="null"/> when the step succeeded.</summary>
    public ApiError? Error { get; }

    /// <summary>The value; the type's default when the step was refused.</summary>
    public T? Value => _value;

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    public bool TryGet([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out ApiError? error)
    {
        value = _value;
        error = Error;
        return error is null;
    }

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(ApiError error) =>
        new(default!, error ?? throw new ArgumentNullException(nameof(error)));
}
