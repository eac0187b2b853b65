using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Sluice.Accounts;
using Sluice.SignIn;

namespace Sluice.Dashboard;

/// <summary>
/// How an account page starts (<see cref="MemberRequests"/>): either the member's <see cref="Caller"/>, or
/// the page that refuses them, never both. The signed-in person is known in both cases except when nobody is signed in.
/// A call site reads <c>if (!begun.TryGet(out var caller, out var refusal)) return refusal;</c> with the compiler
/// knowing which is set.
/// </summary>
public readonly record struct MemberRequest
{
    private MemberRequest(Caller? caller, SignedInPerson? person, IResult? refusal)
    {
        Caller = caller;
        Person = person;
        Refusal = refusal;
    }

    public Caller? Caller { get; }

    /// <summary>The signed-in person; null only when nobody is signed in.</summary>
    public SignedInPerson? Person { get; }

    /// <summary>The page that answers a refused request; null when the member may go on.</summary>
    public IResult? Refusal { get; }

    public bool TryGet([NotNullWhen(true)] out Caller? caller, [NotNullWhen(false)] out IResult? refusal)
    {
        caller = Caller;
        refusal = Refusal;
        return refusal is null;
    }

    /// <summary>As <see cref="TryGet(out Caller?, out IResult?)"/>, with the signed-in person an allowed member is.</summary>
    public bool TryGet([NotNullWhen(true)] out Caller? caller, [NotNullWhen(true)] out SignedInPerson? person,
        [NotNullWhen(false)] out IResult? refusal)
    {
        person = Person;
        return TryGet(out caller, out refusal) && person is not null;
    }

    internal static MemberRequest Allowed(Caller caller, SignedInPerson person) => new(caller, person, null);

    internal static MemberRequest Refused(SignedInPerson? person, IResult refusal) =>
        new(null, person, refusal ?? throw new ArgumentNullException(nameof(refusal)));
}
