using Microsoft.AspNetCore.Http;

namespace Sluice.SignIn;

/// <summary>The page a refused sign-in answers with. Sign-in only knows why it refused; whoever shows pages (the
/// dashboard) says how, so sign-in depends on nothing above it.</summary>
public interface ISignInRefusalPage
{
    IResult Render(HttpContext context, SignInRefusal refusal);
}
